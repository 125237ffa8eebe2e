/* The CLI's commands: each `int cmd_X(int argc, char **argv)` gets argv[0] = "X". */
#ifndef OTA_TOOLS_COMMANDS_H
#define OTA_TOOLS_COMMANDS_H

int cmd_version(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_part(int argc, char **argv);
int cmd_flash(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_boot(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_app(int argc, char **argv);
int cmd_device(int argc, char **argv);

#endif
