/* SayMediaFactory: one pipeline per RTSP client, speaking the text of the client's URL. */
#include "say_media_factory.h"

#include <string.h>

struct _SayMediaFactory {
  GstRTSPMediaFactory parent;
  gchar* model;
  gchar* voice;
  gchar* precision;
  gchar** properties; /* NAME=VALUE */
};

G_DEFINE_TYPE(SayMediaFactory, say_media_factory, GST_TYPE_RTSP_MEDIA_FACTORY)

/* Sets NAME=VALUE on OBJECT the way gst-launch-1.0 would (enums by nick, numbers, booleans). */
static gboolean set_property_from_string(GstElement* element, const gchar* name, const gchar* value,
                                         GError** error) {
  if (!g_object_class_find_property(G_OBJECT_GET_CLASS(element), name)) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "pockettts has no property '%s' (gst-inspect-1.0 pockettts lists them)", name);
    return FALSE;
  }
  /* gst_util_set_object_arg() cannot report a bad value: check it parses first. */
  GParamSpec* spec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), name);
  GValue parsed = G_VALUE_INIT;
  g_value_init(&parsed, spec->value_type);
  gboolean ok = gst_value_deserialize(&parsed, value);
  if (ok) g_object_set_property(G_OBJECT(element), name, &parsed);
  g_value_unset(&parsed);
  if (!ok) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "'%s' is not a valid value for the pockettts property '%s'", value, name);
  }
  return ok;
}

gboolean say_media_factory_configure(SayMediaFactory* self, GstElement* tts, GError** error) {
  g_object_set(tts, "model", self->model, "voice", self->voice, NULL);
  if (!set_property_from_string(tts, "precision", self->precision, error)) return FALSE;
  for (gchar** p = self->properties; p && *p; ++p) {
    const gchar* eq = strchr(*p, '=');
    if (!eq || eq == *p) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  "'%s' is not NAME=VALUE (e.g. temperature=0.5)", *p);
      return FALSE;
    }
    gchar* name = g_strndup(*p, eq - *p);
    gboolean ok = set_property_from_string(tts, name, eq + 1, error);
    g_free(name);
    if (!ok) return FALSE;
  }
  return TRUE;
}

/* pockettts ! ... ! pay0, the bin gst-rtsp-server expects: its payloader is named pay0.
 * Takes TTS; NULL (with a warning) when an element is missing. */
static GstElement* make_bin(GstElement* tts, gboolean opus) {
  GstElement* bin = gst_bin_new("say");
  GstElement* convert = gst_element_factory_make("audioconvert", NULL);
  GstElement* encoder = opus ? gst_element_factory_make("opusenc", NULL) : NULL;
  GstElement* pay = gst_element_factory_make(opus ? "rtpopuspay" : "rtpL16pay", "pay0");
  gboolean linked = FALSE;

  /* The bin owns whatever was made, so one unref frees everything on failure. */
  gst_bin_add(GST_BIN(bin), tts);
  if (convert) gst_bin_add(GST_BIN(bin), convert);
  if (encoder) gst_bin_add(GST_BIN(bin), encoder);
  if (pay) gst_bin_add(GST_BIN(bin), pay);
  if (!convert || !pay || (opus && !encoder)) {
    g_warning(
        "audioconvert, rtpL16pay, opusenc or rtpopuspay is missing: install "
        "gstreamer1.0-plugins-base and gstreamer1.0-plugins-good");
  } else if (opus) {
    linked = gst_element_link_many(tts, convert, encoder, pay, NULL);
  } else {
    /* The element makes the 16-bit samples itself (as its WAV output does); audioconvert only
     * swaps them to the network byte order of L16. */
    GstCaps* s16 = gst_caps_from_string("audio/x-raw, format=S16LE");
    linked = gst_element_link_filtered(tts, convert, s16) && gst_element_link(convert, pay);
    gst_caps_unref(s16);
  }
  if (!linked) {
    gst_object_unref(bin);
    return NULL;
  }
  g_object_set(pay, "pt", 96, NULL);
  return bin;
}

static GstElement* say_create_element(GstRTSPMediaFactory* factory, const GstRTSPUrl* url) {
  SayMediaFactory* self = SAY_MEDIA_FACTORY(factory);
  GError* error = NULL;
  GHashTable* query = NULL;
  GstElement* tts = NULL;
  GstElement* bin = NULL;

  /* say_construct() checked the query: it has a text and a known codec. */
  query = g_uri_parse_params(url->query, -1, "&", G_URI_PARAMS_WWW_FORM, &error);
  if (!query) goto fail;
  const gchar* text = g_hash_table_lookup(query, "text");
  const gchar* voice = g_hash_table_lookup(query, "voice");
  const gchar* codec = g_hash_table_lookup(query, "codec");

  tts = gst_element_factory_make("pockettts", NULL);
  if (!tts) {
    g_set_error(&error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                "the pockettts element is not installed (or not on GST_PLUGIN_PATH)");
    goto fail;
  }
  if (!say_media_factory_configure(self, tts, &error)) goto fail;
  g_object_set(tts, "text", text, NULL);
  if (voice && *voice) g_object_set(tts, "voice", voice, NULL);

  bin = make_bin(tts, codec && strcmp(codec, "opus") == 0);
  tts = NULL; /* owned by the bin, or freed with it */
  if (!bin) {
    g_set_error(&error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION, "could not build the pipeline");
    goto fail;
  }
  g_message("client %s: saying \"%s\"%s%s (%s)", url->abspath, text, voice ? " with voice " : "",
            voice ? voice : "", codec ? codec : "l16");
  if (query) g_hash_table_unref(query);
  return bin;

fail:
  g_warning("refused %s?%s: %s", url->abspath, url->query ? url->query : "", error->message);
  g_clear_error(&error);
  if (tts) gst_object_unref(tts);
  if (query) g_hash_table_unref(query);
  return NULL;
}

/* Refuses a URL without text before the default construct() would call create_element():
 * that one reports a NULL element as a programming error (g_critical), not a client's. */
static GstRTSPMedia* say_construct(GstRTSPMediaFactory* factory, const GstRTSPUrl* url) {
  GHashTable* query =
      url->query ? g_uri_parse_params(url->query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL) : NULL;
  const gchar* text = query ? g_hash_table_lookup(query, "text") : NULL;
  const gchar* codec = query ? g_hash_table_lookup(query, "codec") : NULL;
  const gchar* problem = NULL;
  if (!text || !*text) {
    problem = "nothing to say: give the text in the URL, /say?text=Hello%20world";
  } else if (codec && strcmp(codec, "l16") != 0 && strcmp(codec, "opus") != 0) {
    problem = "unsupported codec: use codec=l16 (the default) or codec=opus";
  }
  if (query) g_hash_table_unref(query);
  if (problem) {
    /* The client gets 400 Bad Request. */
    g_warning("refused %s?%s: %s", url->abspath, url->query ? url->query : "", problem);
    return NULL;
  }
  return GST_RTSP_MEDIA_FACTORY_CLASS(say_media_factory_parent_class)->construct(factory, url);
}

static void say_media_factory_finalize(GObject* object) {
  SayMediaFactory* self = SAY_MEDIA_FACTORY(object);
  g_free(self->model);
  g_free(self->voice);
  g_free(self->precision);
  g_strfreev(self->properties);
  G_OBJECT_CLASS(say_media_factory_parent_class)->finalize(object);
}

static void say_media_factory_class_init(SayMediaFactoryClass* klass) {
  G_OBJECT_CLASS(klass)->finalize = say_media_factory_finalize;
  GST_RTSP_MEDIA_FACTORY_CLASS(klass)->construct = say_construct;
  GST_RTSP_MEDIA_FACTORY_CLASS(klass)->create_element = say_create_element;
}

static void say_media_factory_init(SayMediaFactory* self) {
  /* Every client its own pipeline (its own text); stopped when the client goes. */
  gst_rtsp_media_factory_set_shared(GST_RTSP_MEDIA_FACTORY(self), FALSE);
  gst_rtsp_media_factory_set_stop_on_disconnect(GST_RTSP_MEDIA_FACTORY(self), TRUE);
}

SayMediaFactory* say_media_factory_new(const gchar* model, const gchar* voice,
                                       const gchar* precision, const gchar* const* properties) {
  SayMediaFactory* self = g_object_new(SAY_TYPE_MEDIA_FACTORY, NULL);
  self->model = g_strdup(model);
  self->voice = g_strdup(voice);
  self->precision = g_strdup(precision);
  self->properties = g_strdupv((gchar**)properties);
  return self;
}
