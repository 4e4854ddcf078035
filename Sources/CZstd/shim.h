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
    ZSTD_c_windowLog = 101,
    ZSTD_c_hashLog = 102,
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
size_t ZSTD_CCtx_reset(ZSTD_CCtx *cctx, ZSTD_ResetDirective reset);

ZSTD_DCtx *ZSTD_createDCtx(void);
size_t ZSTD_freeDCtx(ZSTD_DCtx *dctx);
size_t ZSTD_DCtx_reset(ZSTD_DCtx *dctx, ZSTD_ResetDirective reset);
size_t ZSTD_decompressStream(ZSTD_DCtx *dctx, ZSTD_outBuffer *output, ZSTD_inBuffer *input);
size_t ZSTD_DStreamOutSize(void);
#endif

// CRC32C (Castagnoli) with the CPU's instruction, for trace block checksums. Not zstd, but this
// is the package's one C module. `protoo_crc32c_available()` says whether the instruction exists;
// `protoo_crc32c_update` continues a raw (not inverted) CRC over `n` bytes.
#include <stddef.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <cpuid.h>
static inline int protoo_crc32c_available(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c & bit_SSE4_2) != 0;
}
__attribute__((target("sse4.2")))
static inline uint32_t protoo_crc32c_update(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t w;
        __builtin_memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n > 0) {
        c32 = __builtin_ia32_crc32qi(c32, *p);
        p++;
        n--;
    }
    return c32;
}
#else
static inline int protoo_crc32c_available(void) { return 0; }
static inline uint32_t protoo_crc32c_update(uint32_t crc, const void *data, size_t n) { (void)data; (void)n; return crc; }
#endif

#endif
