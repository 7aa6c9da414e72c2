/* byteorder: little-endian fields of on-disk formats (ISO 9660, FAT, PE, iPXE headers). */
#ifndef CB_BYTEORDER_H
#define CB_BYTEORDER_H

#include <stdint.h>

/* Byte by byte: the fields are often unaligned, and the host order does not matter. */
static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#endif
