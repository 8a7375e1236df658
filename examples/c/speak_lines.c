/* speak-lines: embeds the pockettts element in a C program. Every line typed on stdin is
 * spoken through the element's `speak` action signal; the utterance messages the element
 * posts on the bus are printed; at the end of input (Ctrl-D) the program waits until every
 * queued line has been spoken, sends EOS (which ends a source's stream at once), waits for it
 * to reach the sink, then goes to NULL.
 *
 *   cc speak_lines.c $(pkg-config --cflags --libs gstreamer-1.0) -o speak-lines
 *   ./speak-lines                                   # real model, voice alba, to the speakers
 *   ./speak-lines --model tests/data/tiny/config.yaml --voice tests/data/tiny/voice/voice_s16.wav \
 *       --sink "audioconvert ! wavenc ! filesink location=lines.wav" < story.txt
 */
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  GMainLoop* loop;
  GstElement* pipeline;
  GstElement* tts;
  guint stdin_watch;
  guint queued;        /* lines accepted by `speak` */
  guint ended;         /* pockettts-utterance-end messages seen */
  gboolean input_done; /* end of stdin */
  gboolean eos_sent;
  gboolean failed;
} App;

/* EOS ends the stream right away: send it once stdin is done and every line spoken. */
static void end_when_spoken(App* app) {
  if (app->input_done && !app->eos_sent && app->ended >= app->queued) {
    app->eos_sent = TRUE;
    gst_element_send_event(app->tts, gst_event_new_eos());
  }
}

/* The element's utterance messages (docs/element.md, "Element messages"). */
static void print_element_message(const GstStructure* s) {
  const gchar* text = gst_structure_get_string(s, "text");
  guint64 time = 0;
  if (gst_structure_has_name(s, "pockettts-utterance-start")) {
    gst_structure_get_uint64(s, "running-time", &time);
    g_print("utterance-start \"%s\" at %" GST_TIME_FORMAT "\n", text, GST_TIME_ARGS(time));
  } else if (gst_structure_has_name(s, "pockettts-utterance-end")) {
    guint frames = 0;
    gboolean cancelled = FALSE;
    gst_structure_get_uint64(s, "running-time", &time);
    gst_structure_get_uint(s, "frames", &frames);
    gst_structure_get_boolean(s, "cancelled", &cancelled);
    g_print("utterance-end \"%s\" at %" GST_TIME_FORMAT ", %u frames%s\n", text,
            GST_TIME_ARGS(time), frames, cancelled ? ", cancelled" : "");
  } else if (gst_structure_has_name(s, "pockettts-overrun")) {
    guint64 lateness = 0;
    gst_structure_get_uint64(s, "lateness", &lateness);
    g_print("overrun \"%s\": %" GST_TIME_FORMAT " late\n", text, GST_TIME_ARGS(lateness));
  }
}

static gboolean on_bus_message(GstBus* bus, GstMessage* msg, gpointer data) {
  App* app = data;
  (void)bus;
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ELEMENT:
      print_element_message(gst_message_get_structure(msg));
      if (gst_message_has_name(msg, "pockettts-utterance-end")) {
        ++app->ended;
        end_when_spoken(app);
      }
      break;
    case GST_MESSAGE_EOS:
      g_main_loop_quit(app->loop);
      break;
    case GST_MESSAGE_ERROR: {
      GError* error = NULL;
      gchar* debug = NULL;
      gst_message_parse_error(msg, &error, &debug);
      g_printerr("speak-lines: %s\n", error->message);
      if (debug) g_printerr("  (%s)\n", debug);
      g_error_free(error);
      g_free(debug);
      app->failed = TRUE;
      g_main_loop_quit(app->loop);
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* One line of stdin: speak it (blank lines are skipped). End of input: EOS. */
static gboolean on_stdin(GIOChannel* channel, GIOCondition condition, gpointer data) {
  App* app = data;
  gchar* line = NULL;
  GError* error = NULL;
  GIOStatus status = G_IO_STATUS_AGAIN;
  (void)condition;
  status = g_io_channel_read_line(channel, &line, NULL, NULL, &error);
  if (status == G_IO_STATUS_NORMAL) {
    g_strstrip(line);
    if (*line) {
      gboolean queued = FALSE;
      g_signal_emit_by_name(app->tts, "speak", line, &queued);
      if (queued) {
        ++app->queued;
        g_print("queued \"%s\"\n", line);
      } else
        g_printerr("speak-lines: not spoken (not UTF-8?): %s\n", line);
    }
    g_free(line);
    return G_SOURCE_CONTINUE;
  }
  if (status == G_IO_STATUS_AGAIN) return G_SOURCE_CONTINUE;
  if (status == G_IO_STATUS_ERROR) {
    g_printerr("speak-lines: reading stdin: %s\n", error->message);
    g_error_free(error);
  }
  /* End of input: EOS once what is queued is spoken; the bus's EOS message (all sinks done)
   * then ends the main loop. */
  app->input_done = TRUE;
  app->stdin_watch = 0;
  end_when_spoken(app);
  return G_SOURCE_REMOVE;
}

int main(int argc, char** argv) {
  gchar* model = NULL;
  gchar* voice = NULL;
  gchar* sink = NULL;
  GOptionEntry entries[] = {
      {"model", 'm', 0, G_OPTION_ARG_STRING, &model,
       "model variant id or YAML config path (default b6369a24)", "MODEL"},
      {"voice", 'v', 0, G_OPTION_ARG_STRING, &voice,
       "predefined voice, audio file or .safetensors voice (default alba)", "VOICE"},
      {"sink", 's', 0, G_OPTION_ARG_STRING, &sink,
       "where the audio goes, as a gst-launch-1.0 description "
       "(default \"audioconvert ! audioresample ! autoaudiosink\")",
       "DESCRIPTION"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext* context = g_option_context_new("- speak each line of stdin with pockettts");
  GError* error = NULL;
  App app = {0};

  setvbuf(stdout, NULL, _IOLBF, 0); /* one message per line, also into a pipe */

  g_option_context_add_main_entries(context, entries, NULL);
  g_option_context_add_group(context, gst_init_get_option_group());
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    g_printerr("speak-lines: %s (see --help)\n", error->message);
    return 2;
  }
  g_option_context_free(context);

  /* is-live: with no `text`, the element stays up and speaks what `speak` queues. */
  gchar* description =
      g_strdup_printf("pockettts name=tts is-live=true ! %s",
                      sink ? sink : "audioconvert ! audioresample ! autoaudiosink");
  app.pipeline = gst_parse_launch(description, &error);
  g_free(description);
  if (!app.pipeline) {
    g_printerr("speak-lines: bad --sink: %s\n", error->message);
    return 2;
  }
  app.tts = gst_bin_get_by_name(GST_BIN(app.pipeline), "tts");
  if (model) g_object_set(app.tts, "model", model, NULL);
  if (voice) g_object_set(app.tts, "voice", voice, NULL);

  app.loop = g_main_loop_new(NULL, FALSE);
  GstBus* bus = gst_element_get_bus(app.pipeline);
  gst_bus_add_watch(bus, on_bus_message, &app);
  gst_object_unref(bus);

  GIOChannel* in = g_io_channel_unix_new(fileno(stdin));
  /* The model loads here (NULL -> READY): a bad model or voice fails now, with its reason on
   * the bus. */
  if (gst_element_set_state(app.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    app.failed = TRUE;
    GstMessage* msg = gst_bus_pop_filtered(GST_ELEMENT_BUS(app.pipeline), GST_MESSAGE_ERROR);
    if (msg) {
      on_bus_message(NULL, msg, &app);
      gst_message_unref(msg);
    } else {
      g_printerr("speak-lines: the pipeline did not start\n");
    }
  } else {
    app.stdin_watch = g_io_add_watch(in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &app);
    g_main_loop_run(app.loop);
  }

  if (app.stdin_watch) g_source_remove(app.stdin_watch); /* ended by an error, not by EOF */
  g_io_channel_unref(in);
  gst_element_set_state(app.pipeline, GST_STATE_NULL);
  gst_object_unref(app.tts);
  gst_object_unref(app.pipeline);
  g_main_loop_unref(app.loop);
  g_free(model);
  g_free(voice);
  g_free(sink);
  return app.failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
