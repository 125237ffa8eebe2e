/* Shared between ota.c and ota_session.c; not part of the public API. */
#ifndef OTA_INTERNAL_H
#define OTA_INTERNAL_H

#include "ota/ota.h"

/* Do a and b share a byte? (zero-sized partitions share none) */
bool ota__overlaps(const ota_partition_t *a, const ota_partition_t *b);

/* Verify the image in p as `kind` (data_len: bytes known to hold it, NULL = the
 * partition), then run the image policy. info NULL: into ctx->image. */
ota_err_t ota__accept_image(ota_ctx_t *ctx, const ota_partition_t *p, ota_image_kind_t kind,
                            const uint32_t *data_len, ota_image_info_t *info);

/* SHA-256 of flash [addr, addr + len) through the scratch buffer. */
ota_err_t ota__hash_range(const ota_ctx_t *ctx, uint32_t addr, uint32_t len,
                          uint8_t out[OTA_SHA256_LEN]);

/* A live session that writes to or finalizes a partition overlapping p. */
const ota_session_t *ota__session_using(const ota_ctx_t *ctx, const ota_partition_t *p);

#endif
