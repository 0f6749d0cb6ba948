#ifndef BURSAR_CZLIB_SHIM_H
#define BURSAR_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 and deflateInit2 are function-like macros (they pass ZLIB_VERSION and sizeof(z_stream)
   so zlib can detect a header/library mismatch); Swift cannot import macros, so wrap them. */
static inline int czlib_inflate_init2(z_streamp stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}

static inline int czlib_deflate_init2(z_streamp stream, int level, int window_bits, int mem_level, int strategy) {
    return deflateInit2(stream, level, Z_DEFLATED, window_bits, mem_level, strategy);
}
#endif
