/*
 * pjproject compile-time limits for the minipbx engine (written by the minipbx
 * project; images/pjproject/build_binding.py copies it to pjlib/include/pj/).
 *
 * pjproject sizes its tables at compile time; every stock pjsua2 wheel keeps the
 * defaults (4 calls, 8 accounts), which hold two bridged calls. The engine
 * anchors both legs of every call, so 1024 legs hold 300 bridged calls with room
 * for ringing groups, queues and prompts; [capacity] calls in pbx.toml sets how
 * much of it the engine takes at run time. A call slot costs 22 KB of the
 * engine's memory whether used or not.
 *
 * The conference bridge stays serial (PJMEDIA_CONF_THREADS is not defined): on
 * a 2- or 4-core box one thread mixing G.711 frames is cheaper than the
 * hand-offs between several.
 */
#define PJSUA_MAX_CALLS 1024
#define PJSUA_MAX_ACC 64
#define PJ_IOQUEUE_MAX_HANDLES 4096
#define PJSUA_MAX_PLAYERS 512
#define PJSUA_MAX_RECORDERS 128
#define PJSUA_MAX_CONF_PORTS 2048
