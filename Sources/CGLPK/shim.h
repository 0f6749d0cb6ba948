#ifndef BURSAR_CGLPK_SHIM_H
#define BURSAR_CGLPK_SHIM_H
/* Debian's libglpk-dev ships no pkg-config file; glpk.h sits on the default include path. */
#include <glpk.h>
#endif
