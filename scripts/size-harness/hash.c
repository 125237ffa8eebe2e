/*
 * make size: the hash port of one algorithm (port/hash_mbedtls.c over mbedTLS
 * compiled from Debian's source), linked on its own so that its cost is
 * printed apart from the core's. -DOTA_SIZE_MD5 selects MD5, else SHA-256.
 */
#include "ota_port/hash_mbedtls.h"

#ifdef OTA_SIZE_MD5
#define PORT_INIT ((void (*)(void))ota_port_md5_init)
#else
#define PORT_INIT ((void (*)(void))ota_port_sha256_init)
#endif

int main(void);

int main(void)
{
    void (*volatile init)(void) = PORT_INIT;
    return init != 0;
}
