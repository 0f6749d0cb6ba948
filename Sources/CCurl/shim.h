#ifndef BURSAR_CCURL_SHIM_H
#define BURSAR_CCURL_SHIM_H
#include <curl/curl.h>

/* curl_easy_setopt and curl_easy_getinfo are C variadic functions, which Swift cannot call.
   Each wrapper fixes the type of the third argument, and the C compiler passes it the way libcurl
   reads it with va_arg: a long must be a long, not an int. */

/** Write callback shape libcurl expects for CURLOPT_WRITEFUNCTION. */
typedef size_t (*ccurl_write_callback)(char *data, size_t size, size_t count, void *context);

/** Read callback shape libcurl expects for CURLOPT_READFUNCTION (the upload body source). */
typedef size_t (*ccurl_read_callback)(char *buffer, size_t size, size_t count, void *context);

static inline CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_easy_setopt_write_callback(CURL *handle, CURLoption option, ccurl_write_callback value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_easy_setopt_read_callback(CURL *handle, CURLoption option, ccurl_read_callback value) {
    return curl_easy_setopt(handle, option, value);
}

/* CURLOPTTYPE_OFF_T options (sizes) are read as curl_off_t, whose width differs from long on some platforms. */
static inline CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
#endif
