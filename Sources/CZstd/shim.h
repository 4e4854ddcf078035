#ifndef PROTOO_CZSTD_SHIM_H
#define PROTOO_CZSTD_SHIM_H

// Builds with the zstd headers (Debian libzstd-dev) when present, and otherwise with the
// declarations below, so that a machine with only the runtime library (libzstd1, part of every
// Debian base system) builds and runs the package with no setup. The declarations cover the
// subset of zstd's stable API (v1.4+) that ProtooTrace calls; values are those zstd documents.
#if __has_include(<zstd.h>) && !defined(PROTOO_ZSTD_OWN_DECLARATIONS)
#include <zstd.h>
#else
#include <stddef.h>

typedef struct ZSTD_CCtx_s ZSTD_CCtx;
typedef struct ZSTD_DCtx_s ZSTD_DCtx;

typedef struct ZSTD_inBuffer_s {
    const void *src;
    size_t size;
    size_t pos;
} ZSTD_inBuffer;

typedef struct ZSTD_outBuffer_s {
    void *dst;
    size_t size;
    size_t pos;
} ZSTD_outBuffer;

typedef enum {
    ZSTD_c_compressionLevel = 100,
    ZSTD_c_checksumFlag = 201
} ZSTD_cParameter;

typedef enum {
    ZSTD_e_continue = 0,
    ZSTD_e_flush = 1,
    ZSTD_e_end = 2
} ZSTD_EndDirective;

typedef enum {
    ZSTD_reset_session_only = 1,
    ZSTD_reset_parameters = 2,
    ZSTD_reset_session_and_parameters = 3
} ZSTD_ResetDirective;

unsigned ZSTD_isError(size_t code);
const char *ZSTD_getErrorName(size_t code);

ZSTD_CCtx *ZSTD_createCCtx(void);
size_t ZSTD_freeCCtx(ZSTD_CCtx *cctx);
size_t ZSTD_CCtx_setParameter(ZSTD_CCtx *cctx, ZSTD_cParameter param, int value);
size_t ZSTD_compressStream2(ZSTD_CCtx *cctx, ZSTD_outBuffer *output, ZSTD_inBuffer *input, ZSTD_EndDirective endOp);
size_t ZSTD_CStreamOutSize(void);

ZSTD_DCtx *ZSTD_createDCtx(void);
size_t ZSTD_freeDCtx(ZSTD_DCtx *dctx);
size_t ZSTD_DCtx_reset(ZSTD_DCtx *dctx, ZSTD_ResetDirective reset);
size_t ZSTD_decompressStream(ZSTD_DCtx *dctx, ZSTD_outBuffer *output, ZSTD_inBuffer *input);
size_t ZSTD_DStreamOutSize(void);
#endif

#endif
