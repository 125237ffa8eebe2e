/*
 * Reset and the vector table of a Cortex-M4: copy .data, clear .bss, run
 * main(), report its result. Any fault ends the run as a failure, so a
 * crash in CI shows as a failed example instead of a hang.
 */
#include <stdint.h>
#include <string.h>

#include "semihost.h"

extern uint32_t _data_start[], _data_end[], _data_load[], _bss_start[], _bss_end[], _stack_top[];

int main(void);
void reset_handler(void);
void fault_handler(void);

void reset_handler(void)
{
    memcpy(_data_start, _data_load, (size_t)((char *)_data_end - (char *)_data_start));
    memset(_bss_start, 0, (size_t)((char *)_bss_end - (char *)_bss_start));
    sh_exit(main() == 0);
}

void fault_handler(void)
{
    sh_puts("cortex-m: FAIL (fault)\n");
    sh_exit(false);
}

/* Initial stack pointer, then reset, NMI, HardFault, MemManage, BusFault, UsageFault. */
__attribute__((section(".vectors"), used)) static void *const vectors[] = {
    _stack_top,
    (void *)reset_handler,
    (void *)fault_handler,
    (void *)fault_handler,
    (void *)fault_handler,
    (void *)fault_handler,
    (void *)fault_handler,
};
