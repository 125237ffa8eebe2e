/* Names and descriptions of the error space, generated from OTA_ERR_LIST. */
#include "ota/err.h"

const char *ota_strerror(ota_err_t err)
{
    switch (err) {
#define OTA_ERR_TEXT_(name, value, text) \
    case name:                           \
        return text;
        OTA_ERR_LIST(OTA_ERR_TEXT_)
#undef OTA_ERR_TEXT_
    }
    return "unknown error";
}

const char *ota_err_name(ota_err_t err)
{
    switch (err) {
#define OTA_ERR_NAME_(name, value, text) \
    case name:                           \
        return #name;
        OTA_ERR_LIST(OTA_ERR_NAME_)
#undef OTA_ERR_NAME_
    }
    return "OTA_ERR_UNKNOWN";
}
