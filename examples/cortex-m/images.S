/* The two app images of the demo, packed on the host by `ota image pack`
 * (see Makefile) and linked in as read-only data. */
    .section .rodata.images, "a"
    .balign 4
    .global app_v1, app_v1_end, app_v2, app_v2_end
app_v1:
    .incbin "app_v1.bin"
app_v1_end:
    .balign 4
app_v2:
    .incbin "app_v2.bin"
app_v2_end:
