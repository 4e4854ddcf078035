#ifndef PROTOO_CZSTD_SHIM_H
#define PROTOO_CZSTD_SHIM_H
#include <zstd.h>
#endif
