/* pockettts-rtsp-server: speaks text to RTSP clients, one pipeline per client, all of them on
 * one loaded model.
 *
 *   pockettts-rtsp-server --port 8554 --voice alba
 *   gst-launch-1.0 rtspsrc location="rtsp://127.0.0.1:8554/say?text=Hello%20world" ! \
 *       rtpL16depay ! audioconvert ! autoaudiosink
 *   ... /say?text=Bonjour&voice=marius&codec=opus   (then rtpopusdepay ! opusdec ! ...)
 *
 * The stream ends (RTCP BYE, so rtspsrc posts EOS) when the text is spoken. */
#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <stdio.h>
#include <stdlib.h>

#include "say_media_factory.h"

/* A pockettts element held in READY for the server's lifetime: it loads the model and checks
 * the voice once at startup (a bad --model or --voice fails here, not on the first client),
 * and since the element shares loaded models between instances, its reference keeps the one
 * copy every client pipeline then uses. */
static GstElement* load_shared_model(SayMediaFactory* factory) {
  GstElement* keeper = gst_element_factory_make("pockettts", "model-keeper");
  GError* error = NULL;
  if (!keeper) {
    g_printerr(
        "pockettts-rtsp-server: the pockettts element is not installed "
        "(gst-inspect-1.0 pockettts; before installing, set GST_PLUGIN_PATH=build/gst)\n");
    return NULL;
  }
  gst_object_ref_sink(keeper);
  if (!say_media_factory_configure(factory, keeper, &error)) {
    g_printerr("pockettts-rtsp-server: %s\n", error->message);
    g_error_free(error);
    gst_object_unref(keeper);
    return NULL;
  }
  /* The element posts why it failed on its bus; a lone element has none, so give it one. */
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(keeper, bus);
  if (gst_element_set_state(keeper, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE) {
    GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    if (msg) {
      gst_message_parse_error(msg, &error, NULL);
      g_printerr("pockettts-rtsp-server: %s\n", error->message);
      g_error_free(error);
      gst_message_unref(msg);
    } else {
      g_printerr("pockettts-rtsp-server: could not load the model\n");
    }
    gst_element_set_state(keeper, GST_STATE_NULL);
    gst_object_unref(keeper);
    keeper = NULL;
  }
  gst_object_unref(bus);
  return keeper;
}

static gboolean on_signal(gpointer loop) {
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

int main(int argc, char** argv) {
  gint port = 8554;
  gchar* address = NULL;
  gchar* model = NULL;
  gchar* voice = NULL;
  gchar* precision = NULL;
  gchar** properties = NULL;
  GOptionEntry entries[] = {
      {"port", 'p', 0, G_OPTION_ARG_INT, &port, "TCP port to listen on (default 8554)", "PORT"},
      {"address", 'a', 0, G_OPTION_ARG_STRING, &address,
       "address to listen on (default 0.0.0.0, all)", "ADDRESS"},
      {"model", 'm', 0, G_OPTION_ARG_STRING, &model,
       "model variant id or YAML config path (default b6369a24)", "MODEL"},
      {"voice", 'v', 0, G_OPTION_ARG_STRING, &voice,
       "default voice: a predefined name, an audio file or a .safetensors voice (default alba); "
       "a client may pick another with &voice=",
       "VOICE"},
      {"precision", 0, 0, G_OPTION_ARG_STRING, &precision,
       "flow model weights: fp32 (default), bf16 or int8", "PRECISION"},
      {"set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &properties,
       "any other pockettts property, e.g. --set temperature=0.5 (repeatable)", "NAME=VALUE"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext* context = g_option_context_new(
      "- speak text to RTSP clients: rtsp://HOST:PORT/say?text=...[&voice=...][&codec=l16|opus]");
  GError* error = NULL;
  int status = EXIT_SUCCESS;

  g_option_context_add_main_entries(context, entries, NULL);
  g_option_context_add_group(context, gst_init_get_option_group());
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    g_printerr("pockettts-rtsp-server: %s (see --help)\n", error->message);
    g_error_free(error);
    g_option_context_free(context);
    return 2;
  }
  g_option_context_free(context);
  if (port < 0 || port > 65535) {
    g_printerr("pockettts-rtsp-server: --port %d is not a TCP port (0-65535)\n", port);
    return 2;
  }

  SayMediaFactory* factory =
      say_media_factory_new(model ? model : "b6369a24", voice ? voice : "alba",
                            precision ? precision : "fp32", (const gchar* const*)properties);
  GstElement* keeper = load_shared_model(factory);
  if (!keeper) {
    g_object_unref(factory);
    return EXIT_FAILURE;
  }

  GstRTSPServer* server = gst_rtsp_server_new();
  gchar* service = g_strdup_printf("%d", port);
  gst_rtsp_server_set_address(server, address ? address : "0.0.0.0");
  gst_rtsp_server_set_service(server, service);
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server);
  gst_rtsp_mount_points_add_factory(mounts, "/say", GST_RTSP_MEDIA_FACTORY(factory));
  g_object_unref(mounts);

  GMainLoop* loop = g_main_loop_new(NULL, FALSE);
  if (gst_rtsp_server_attach(server, NULL) == 0) {
    g_printerr("pockettts-rtsp-server: cannot listen on %s:%d (port in use?)\n",
               address ? address : "0.0.0.0", port);
    status = EXIT_FAILURE;
  } else {
    g_unix_signal_add(SIGINT, on_signal, loop);
    g_unix_signal_add(SIGTERM, on_signal, loop);
    /* With --port 0 the system picks the port: print the real one. */
    g_print("pockettts-rtsp-server: listening on rtsp://%s:%d/say?text=...\n",
            address ? address : "0.0.0.0", gst_rtsp_server_get_bound_port(server));
    fflush(stdout); /* a script may wait for this line */
    g_main_loop_run(loop);
  }

  g_main_loop_unref(loop);
  g_object_unref(server);
  gst_element_set_state(keeper, GST_STATE_NULL);
  gst_object_unref(keeper);
  g_free(service);
  g_free(address);
  g_free(model);
  g_free(voice);
  g_free(precision);
  g_strfreev(properties);
  return status;
}
