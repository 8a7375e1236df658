/* SayMediaFactory: an RTSP media factory whose every client gets its own pipeline speaking
 * the text of its URL (rtsp://HOST:PORT/say?text=...&voice=...&codec=l16|opus). */
#ifndef POCKETTTS_EXAMPLES_SAY_MEDIA_FACTORY_H
#define POCKETTTS_EXAMPLES_SAY_MEDIA_FACTORY_H

#include <gst/rtsp-server/rtsp-server.h>

G_BEGIN_DECLS

#define SAY_TYPE_MEDIA_FACTORY (say_media_factory_get_type())
G_DECLARE_FINAL_TYPE(SayMediaFactory, say_media_factory, SAY, MEDIA_FACTORY, GstRTSPMediaFactory)

/* The element settings every client starts from: model, voice and precision (shared by all,
 * so that all clients run on one loaded model) and any other pockettts property given as
 * NAME=VALUE strings (NULL-terminated, may be NULL). A client's URL may change the voice. */
SayMediaFactory* say_media_factory_new(const gchar* model, const gchar* voice,
                                       const gchar* precision, const gchar* const* properties);

/* Sets the properties above on a pockettts element; FALSE (with ERROR set) when one is
 * unknown or its value does not parse. */
gboolean say_media_factory_configure(SayMediaFactory* self, GstElement* tts, GError** error);

G_END_DECLS

#endif
