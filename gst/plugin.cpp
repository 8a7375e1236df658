// The pockettts plugin: registers the element, nothing else.
#include <gst/gst.h>

#include "gstpockettts.h"

static gboolean plugin_init(GstPlugin* plugin) { return GST_ELEMENT_REGISTER(pockettts, plugin); }

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, pockettts,
                  "Text to speech with Kyutai's Pocket TTS", plugin_init, VERSION, "MIT/X11",
                  GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
