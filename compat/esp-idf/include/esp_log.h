/*
 * libota's ESP-IDF facade: ESP_LOGx prints one line on stderr,
 * "<letter> (<tag>) <message>", when the level is enabled.
 */
#ifndef ESP_LOG_H
#define ESP_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ESP_LOG_NONE,
    ESP_LOG_ERROR,
    ESP_LOG_WARN,
    ESP_LOG_INFO,
    ESP_LOG_DEBUG,
    ESP_LOG_VERBOSE,
} esp_log_level_t;

/* Only the "*" tag is supported here: it sets the level of every tag (default INFO). */
void esp_log_level_set(const char *tag, esp_log_level_t level);

/* Print format as given (no prefix, no newline), like ESP-IDF's esp_log_write. */
void esp_log_write(esp_log_level_t level, const char *tag, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* One prefixed line; what the macros call. */
void esp_log_line(esp_log_level_t level, const char *tag, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#define ESP_LOGE(tag, ...) esp_log_line(ESP_LOG_ERROR, tag, __VA_ARGS__)
#define ESP_LOGW(tag, ...) esp_log_line(ESP_LOG_WARN, tag, __VA_ARGS__)
#define ESP_LOGI(tag, ...) esp_log_line(ESP_LOG_INFO, tag, __VA_ARGS__)
#define ESP_LOGD(tag, ...) esp_log_line(ESP_LOG_DEBUG, tag, __VA_ARGS__)
#define ESP_LOGV(tag, ...) esp_log_line(ESP_LOG_VERBOSE, tag, __VA_ARGS__)
#define ESP_EARLY_LOGE ESP_LOGE
#define ESP_EARLY_LOGW ESP_LOGW
#define ESP_EARLY_LOGI ESP_LOGI
#define ESP_EARLY_LOGD ESP_LOGD
#define ESP_EARLY_LOGV ESP_LOGV

#ifdef __cplusplus
}
#endif

#endif
