/* ESP_LOGx on stderr. */
#include "esp_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static esp_log_level_t g_level = ESP_LOG_INFO;

void esp_log_level_set(const char *tag, esp_log_level_t level)
{
    if (tag && strcmp(tag, "*") == 0) {
        g_level = level;
    }
}

void esp_log_write(esp_log_level_t level, const char *tag, const char *format, ...)
{
    (void)tag;
    if (level > g_level) {
        return;
    }
    va_list ap;
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
}

void esp_log_line(esp_log_level_t level, const char *tag, const char *format, ...)
{
    static const char letters[] = "-EWIDV";
    if (level > g_level || level == ESP_LOG_NONE) {
        return;
    }
    va_list ap;
    va_start(ap, format);
    fprintf(stderr, "%c (%s) ", letters[level], tag ? tag : "");
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
}
