/*
 * libota error space.
 *
 * Every library call and every flash-port callback returns an ota_err_t.
 * OTA_OK is zero; every error is a distinct positive value grouped by module
 * (1xx generic, 2xx flash, 3xx partition table, 4xx partition CSV, 5xx image,
 * 6xx otadata/boot, 7xx update session, 8xx network), so a caller can print
 * it with ota_strerror() and a test can assert the exact reason of a failure.
 *
 * OTA_ERR_LIST is the single definition: X(name, value, description).
 */
#ifndef OTA_ERR_H
#define OTA_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_ERR_LIST(X) \
    X(OTA_OK, 0, "success") \
    X(OTA_ERR_INVALID_ARG, 100, "invalid argument") \
    X(OTA_ERR_NO_SPACE, 101, "buffer or table too small") \
    X(OTA_ERR_NOT_FOUND, 102, "not found") \
    X(OTA_ERR_NOT_SUPPORTED, 103, "operation not supported for this object") \
    X(OTA_ERR_INVALID_STATE, 104, "operation not allowed in the current state") \
    X(OTA_ERR_IO, 105, "host I/O error") \
    X(OTA_ERR_FLASH_RANGE, 200, "flash access out of range") \
    X(OTA_ERR_FLASH_ALIGN, 201, "flash access not aligned to sector or write granularity") \
    X(OTA_ERR_FLASH_NOT_ERASED, 202, "flash program over unerased data (NOR rule)") \
    X(OTA_ERR_FLASH_IO, 203, "flash device I/O error") \
    X(OTA_ERR_FLASH_POWER_LOSS, 204, "flash lost power") \
    X(OTA_ERR_FLASH_READONLY, 205, "flash region is read-only") \
    X(OTA_ERR_PART_MAGIC, 300, "partition table: invalid entry magic") \
    X(OTA_ERR_PART_MD5, 301, "partition table: MD5 mismatch") \
    X(OTA_ERR_PART_MD5_MISSING, 302, "partition table: MD5 entry missing") \
    X(OTA_ERR_PART_NO_END, 303, "partition table: no end-of-table marker") \
    X(OTA_ERR_PART_OVERLAP, 304, "partition table: partitions overlap") \
    X(OTA_ERR_PART_OUT_OF_FLASH, 305, "partition table: partition beyond end of flash") \
    X(OTA_ERR_PART_TOO_MANY, 306, "partition table: too many entries") \
    X(OTA_ERR_PART_LENGTH, 307, "partition table: length not a multiple of 32 bytes") \
    X(OTA_ERR_PART_EMPTY, 308, "partition table: empty") \
    X(OTA_ERR_PART_DUP_MD5, 309, "partition table: more than one MD5 entry") \
    X(OTA_ERR_PART_AFTER_MD5, 310, "partition table: partition entry after the MD5 entry") \
    X(OTA_ERR_CSV_SYNTAX, 400, "partition CSV: invalid field") \
    X(OTA_ERR_CSV_OVERLAP, 401, "partition CSV: partitions overlap") \
    X(OTA_ERR_CSV_ALIGN, 402, "partition CSV: offset or size not aligned") \
    X(OTA_ERR_CSV_DUP_NAME, 403, "partition CSV: duplicate partition name") \
    X(OTA_ERR_CSV_FLASH_SIZE, 404, "partition CSV: table does not fit in flash size") \
    X(OTA_ERR_CSV_OTADATA, 405, "partition CSV: otadata count or size invalid") \
    X(OTA_ERR_CSV_TOO_MANY, 406, "partition CSV: binary table longer than max") \
    X(OTA_ERR_CSV_FLAGS, 407, "partition CSV: flag not allowed for this partition") \
    X(OTA_ERR_CSV_UNKNOWN_VAR, 408, "partition CSV: unknown environment variable") \
    X(OTA_ERR_CSV_ENCODING, 409, "partition CSV: text or partition name not valid UTF-8") \
    X(OTA_ERR_CSV_RANGE, 410, "partition CSV: value out of range") \
    X(OTA_ERR_CSV_UNKNOWN_FLAG, 411, "partition CSV: unknown flag") \
    X(OTA_ERR_CSV_NVS_SIZE, 412, "partition CSV: read/write NVS smaller than 0x3000") \
    X(OTA_ERR_CSV_NO_BOOTLOADER_OFFSET, 413, "partition CSV: bootloader row needs a bootloader offset") \
    X(OTA_ERR_CSV_EXTRA_SUBTYPE, 414, "partition CSV: invalid extra subtype definition") \
    X(OTA_ERR_CSV_EMPTY_FIELD, 415, "partition CSV: required field left empty") \
    X(OTA_ERR_IMG_MAGIC, 500, "image: invalid magic byte") \
    X(OTA_ERR_IMG_SEG_COUNT, 501, "image: too many segments") \
    X(OTA_ERR_IMG_SEG_LEN, 502, "image: invalid segment length") \
    X(OTA_ERR_IMG_SEG_BOUNDS, 503, "image: segment out of partition bounds") \
    X(OTA_ERR_IMG_TRUNCATED, 504, "image: truncated") \
    X(OTA_ERR_IMG_CHECKSUM, 505, "image: checksum mismatch") \
    X(OTA_ERR_IMG_HASH, 506, "image: SHA-256 mismatch") \
    X(OTA_ERR_IMG_CHIP, 507, "image: chip id mismatch") \
    X(OTA_ERR_IMG_CHIP_REV, 508, "image: chip revision out of range") \
    X(OTA_ERR_IMG_NO_DESC, 509, "image: no app descriptor") \
    X(OTA_ERR_IMG_SEG0_SHORT, 510, "image: segment 0 shorter than the app descriptor") \
    X(OTA_ERR_IMG_MAP_ALIGN, 511, "image: mapped segment not aligned to MMU page") \
    X(OTA_ERR_IMG_SIG, 512, "image: signature missing or invalid") \
    X(OTA_ERR_IMG_SEC_VER, 513, "image: secure_version below anti-rollback counter") \
    X(OTA_ERR_IMG_SPI_MODE, 514, "image: SPI flash mode mismatch") \
    X(OTA_ERR_IMG_CHIP_UNKNOWN, 515, "image: chip id not known to libota") \
    X(OTA_ERR_IMG_TOO_LONG, 516, "image: longer than its partition") \
    X(OTA_ERR_IMG_SIG_RANGE, 530, "image: signature sector outside the partition") \
    X(OTA_ERR_IMG_SIG_NONE, 531, "image: no signature block (no 0xE7 magic)") \
    X(OTA_ERR_IMG_SIG_CRC, 532, "image: signature block CRC mismatch") \
    X(OTA_ERR_IMG_SIG_SCHEME, 533, "image: signature scheme unknown or not allowed") \
    X(OTA_ERR_IMG_SIG_KEY, 534, "image: signing key is not a trusted key") \
    X(OTA_ERR_IMG_SIG_REVOKED, 535, "image: signing key is revoked") \
    X(OTA_ERR_IMG_SIG_DIGEST, 536, "image: signed digest does not match the image") \
    X(OTA_ERR_IMG_SIG_INVALID, 537, "image: signature does not verify") \
    X(OTA_ERR_OTADATA_SIZE, 600, "otadata partition smaller than two copies (0x2000 on 4 KiB sectors)") \
    X(OTA_ERR_OTADATA_NONE, 601, "no otadata partition") \
    X(OTA_ERR_BOOT_NO_IMAGE, 602, "no bootable image") \
    X(OTA_ERR_BOOT_SEQ_OVERFLOW, 603, "otadata sequence number would overflow") \
    X(OTA_ERR_OTADATA_WRITE_SIZE, 604, "flash write unit too large for otadata entries") \
    X(OTA_ERR_OTADATA_SLOT, 605, "OTA slot number not below the OTA app count") \
    X(OTA_ERR_OTADATA_NO_INACTIVE, 606, "inactive otadata entry is empty or corrupt") \
    X(OTA_ERR_BOOT_NO_TEST_APP, 607, "test app requested but the table has none") \
    X(OTA_ERR_OTA_PARTITION_CONFLICT, 700, "update target is the running partition") \
    X(OTA_ERR_OTA_ALREADY_IN_PROGRESS, 701, "an update is already in progress on this partition") \
    X(OTA_ERR_OTA_VALIDATE_FAILED, 702, "image validation failed") \
    X(OTA_ERR_OTA_ROLLBACK_INVALID_STATE, 703, "running app is still pending verification") \
    X(OTA_ERR_OTA_ROLLBACK_FAILED, 704, "no app to roll back to") \
    X(OTA_ERR_OTA_SMALL_SEC_VER, 705, "image secure_version too low") \
    X(OTA_ERR_OTA_NO_ACTIVE, 706, "no active otadata entry (running factory)") \
    X(OTA_ERR_OTA_TOO_LARGE, 707, "image larger than the partition") \
    X(OTA_ERR_OTA_NOT_UPDATABLE, 708, "partition cannot be an update target") \
    X(OTA_ERR_OTA_NO_DATA, 709, "nothing was written in this update session") \
    X(OTA_ERR_OTA_RESUME_NOT_ERASED, 710, "flash after the resume offset is not erased") \
    X(OTA_ERR_OTA_SESSION_CLOSED, 711, "update session is not open") \
    X(OTA_ERR_OTA_SEC_VER_EXHAUSTED, 712, "anti-rollback counter exhausted: secure_version beyond its eFuse bits") \
    X(OTA_ERR_OTA_SAME_VERSION, 713, "image has the version of the running app") \
    X(OTA_ERR_OTA_KNOWN_INVALID, 714, "image has the version of an app that failed before") \
    X(OTA_ERR_NET_CONNECT, 800, "network: connection failed") \
    X(OTA_ERR_NET_TLS, 801, "network: TLS verification failed") \
    X(OTA_ERR_NET_HTTP_STATUS, 802, "network: unexpected HTTP status") \
    X(OTA_ERR_NET_TIMEOUT, 803, "network: timed out") \
    X(OTA_ERR_NET_SHORT_BODY, 804, "network: body shorter than Content-Length") \
    X(OTA_ERR_NET_LONG_BODY, 805, "network: body longer than Content-Length") \
    X(OTA_ERR_NET_IDENTITY, 806, "network: image changed between attempts") \
    X(OTA_ERR_NET_RANGE, 807, "network: invalid answer to a Range request") \
    X(OTA_ERR_NET_SKIPPED, 808, "network: update skipped by the caller") \
    X(OTA_ERR_NET_TLS_PIN, 809, "network: server public key does not match the pin") \
    X(OTA_ERR_NET_INSECURE, 810, "network: plain http not allowed by the configuration") \
    X(OTA_ERR_NET_TOO_LARGE, 811, "network: Content-Length exceeds the sink's capacity") \
    X(OTA_ERR_NET_NO_LENGTH, 812, "network: response has no usable Content-Length") \
    X(OTA_ERR_NET_TRANSFER, 813, "network: transfer failed") \
    X(OTA_ERR_NET_RECORD, 814, "network: progress record invalid")

typedef enum {
#define OTA_ERR_ENUM_(name, value, text) name = value,
    OTA_ERR_LIST(OTA_ERR_ENUM_)
#undef OTA_ERR_ENUM_
} ota_err_t;

/* A short, stable, human-readable description; never NULL. */
const char *ota_strerror(ota_err_t err);

/* The enumerator name, e.g. "OTA_ERR_IMG_HASH"; never NULL. */
const char *ota_err_name(ota_err_t err);

#ifdef __cplusplus
}
#endif

#endif
