/* Little-endian field access for on-flash structures (private to src/). */
#ifndef OTA_SRC_BYTES_LE_H
#define OTA_SRC_BYTES_LE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t le16_get(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/*
 * On a little-endian target a 4-byte memcpy is one load the compiler can
 * inline; GCC -Os keeps the shift-and-or form out of line (it looks big
 * until a later pass merges it into that same load), costing a call each.
 */
static inline uint32_t le32_get(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
#else
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
#endif
}

static inline void le16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void le32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#endif
