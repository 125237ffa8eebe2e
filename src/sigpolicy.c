/* "Require signed" image policy over the Secure Boot v2 verifier (ota/sigpolicy.h). */
#include "ota/sigpolicy.h"

ota_err_t ota_sig_policy_check(void *policy, const ota_flash_t *flash, const ota_partition_t *part,
                               ota_image_kind_t kind, const ota_image_info_t *info)
{
    (void)kind;
    ota_sig_policy_t *pol = policy;
    if (!pol || !flash || !part || !info) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_sigv2_cfg_t cfg = pol->sig;
    cfg.flash = flash;
    return ota_sigv2_verify(&cfg, part->offset, part->size, info->image_len, &pol->result);
}
