/* Internals shared by the facade's source files. */
#ifndef ESP_IDF_FACADE_H
#define ESP_IDF_FACADE_H

#include "esp_err.h"
#include "esp_idf_host.h"
#include "esp_partition.h"
#include "ota/ota.h"

/* The attached context; NULL before esp_idf_host_attach(). */
ota_ctx_t *facade_ctx(void);

/* Changes on every attach, so caches of the running app know when to refresh. */
unsigned facade_generation(void);

/* The table entry behind an esp_partition_t (canonical or equal copy), or NULL. */
const ota_partition_t *facade_part(const esp_partition_t *p);

/* The canonical esp_partition_t of a table entry, or NULL. */
const esp_partition_t *facade_esp(const ota_partition_t *p);

/* A new update record (malloc'd, zeroed; NULL when out of memory) and its release. */
ota_session_t *facade_session_new(void);
void facade_session_free(ota_session_t *s);

/* The final response's Content-Range, "bytes FIRST-LAST/TOTAL"; false when absent or malformed. */
typedef struct esp_http_client *facade_http_t;
bool facade_http_content_range(facade_http_t client, uint64_t *first, uint64_t *last,
                               uint64_t *total);

#endif
