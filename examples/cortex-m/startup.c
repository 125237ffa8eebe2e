/*
 * Reset and the vector table of a Cortex-M4: copy .data, clear .bss, run
 * main(), report its result. Any fault ends the run as a failure, so a
 * crash in CI shows as a failed example instead of a hang. The stack is
 * painted first and its high-water mark printed after main(): a measured
 * figure to hold against make size's static worst case.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "semihost.h"

#define PAINT 0xA5A5A5A5u

extern uint32_t _data_start[], _data_end[], _data_load[], _bss_start[], _bss_end[];
extern uint32_t _stack_bottom[], _stack_top[];

int main(void);
void reset_handler(void);
void fault_handler(void);

/* Paint the unused stack below this function's frame (64 bytes of margin). */
static void paint_stack(void)
{
    volatile uint32_t *end = (uint32_t *)__builtin_frame_address(0) - 16;
    for (volatile uint32_t *p = _stack_bottom; p < end; p++) {
        *p = PAINT;
    }
}

/* Bytes of stack ever used: from the top down to the deepest overwritten word. */
static uint32_t stack_high_water(void)
{
    const uint32_t *p = _stack_bottom;
    while (p < _stack_top && *p == PAINT) {
        p++;
    }
    return (uint32_t)((const char *)_stack_top - (const char *)p);
}

void reset_handler(void)
{
    memcpy(_data_start, _data_load, (size_t)((char *)_data_end - (char *)_data_start));
    memset(_bss_start, 0, (size_t)((char *)_bss_end - (char *)_bss_start));
    paint_stack();
    bool ok = main() == 0;
    sh_puts("cortex-m: stack high-water mark ");
    sh_putu(stack_high_water());
    sh_puts(" bytes (reset handler, main and all it called)\n");
    sh_puts(ok ? "cortex-m: PASS\n" : "cortex-m: FAIL\n");
    sh_exit(ok);
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
