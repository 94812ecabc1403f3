/* setQuickAck(fd): setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, 1). Returns true when set, false
 * where the option does not exist (not Linux); throws with errno's text on a failing call.
 * Node has no API for TCP_QUICKACK, and Linux forgets it after a few segments, so the virtual
 * card calls this after every read. Plain N-API: no dependency beyond node_api.h. */
#include <node_api.h>
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static napi_value set_quick_ack(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_value result;
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "setQuickAck(fd): fd must be a non-negative integer");
    return NULL;
  }
#ifdef TCP_QUICKACK
  int on = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on) != 0) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  napi_get_boolean(env, 1, &result);
#else
  napi_get_boolean(env, 0, &result);
#endif
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "setQuickAck", NAPI_AUTO_LENGTH, set_quick_ack, NULL, &fn);
  napi_set_named_property(env, exports, "setQuickAck", fn);
  return exports;
}
