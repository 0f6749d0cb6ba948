#ifndef BURSAR_CLIBPQ_SHIM_H
#define BURSAR_CLIBPQ_SHIM_H
/* The include directory (/usr/include/postgresql) comes from pkg-config "libpq". */
#include <libpq-fe.h>
#endif
