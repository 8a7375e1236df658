// How the element's files log and post errors: one debug category ("pockettts"), and errors
// posted where they happen with the caller's location.
#pragma once

#include <gst/gst.h>

#include <string>

GST_DEBUG_CATEGORY_EXTERN(gst_pocket_tts_debug);
#define GST_CAT_DEFAULT gst_pocket_tts_debug

namespace pockettts_gst {

// Our own errors are posted where they happen; this tells the flow handling not to post a
// second, vaguer one.
inline constexpr GstFlowReturn kFlowPostedError = GST_FLOW_CUSTOM_ERROR;

}  // namespace pockettts_gst

// GST_ELEMENT_ERROR for errors whose code is known only at run time (the library's error code
// picks it). A macro so the debug location is the caller's.
#define POST_ERROR(element, domain, code, text, debug)                            \
  gst_element_message_full(GST_ELEMENT(element), GST_MESSAGE_ERROR, domain, code, \
                           g_strdup(std::string(text).c_str()),                   \
                           g_strdup(std::string(debug).c_str()), __FILE__, GST_FUNCTION, __LINE__)
