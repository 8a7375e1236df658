// The pockettts element: speaks text with Kyutai's Pocket TTS (see docs/element.md).
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_POCKET_TTS (gst_pocket_tts_get_type())
G_DECLARE_FINAL_TYPE(GstPocketTts, gst_pocket_tts, GST, POCKET_TTS, GstElement)

GST_ELEMENT_REGISTER_DECLARE(pockettts);

G_END_DECLS
