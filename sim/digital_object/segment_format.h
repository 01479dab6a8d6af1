// DOIP v2.0 (Digital Object Interface Protocol, DONA) wire format constants: segment
// framing, status codes and basic operation ids. Not ISO 13400 DoIP.
//
// Framing (CNRI reference OutDoipMessageImpl / InDoipMessageImpl):
//   JSON segment : <UTF-8 JSON text> "\n#\n"
//   bytes segment: "@" ( "\n" <decimal size> "\n" <size bytes> )* "\n#\n"
//   end of message: "#\n" (the empty segment)
#ifndef ECUSIM_SIM_DIGITAL_OBJECT_SEGMENT_FORMAT_H_
#define ECUSIM_SIM_DIGITAL_OBJECT_SEGMENT_FORMAT_H_

#include <cstddef>
#include <string_view>

namespace ecusim::digital_object {

inline constexpr char kSegmentMark = '#';
inline constexpr char kBytesMark = '@';
inline constexpr std::string_view kSegmentTerminator = "\n#\n";
inline constexpr std::string_view kEmptySegment = "#\n";

// The reference reader refuses a chunk size with as many digits as Integer.MAX_VALUE (10).
inline constexpr size_t kMaxChunkSizeDigits = 9;

// Status identifiers (DoipConstants.STATUS_*).
inline constexpr std::string_view kStatusOk = "0.DOIP/Status.001";
inline constexpr std::string_view kStatusBadRequest = "0.DOIP/Status.101";
inline constexpr std::string_view kStatusUnauthenticated = "0.DOIP/Status.102";
inline constexpr std::string_view kStatusForbidden = "0.DOIP/Status.103";
inline constexpr std::string_view kStatusNotFound = "0.DOIP/Status.104";
inline constexpr std::string_view kStatusConflict = "0.DOIP/Status.105";
inline constexpr std::string_view kStatusDeclined = "0.DOIP/Status.200";
inline constexpr std::string_view kStatusError = "0.DOIP/Status.500";

// Basic operations (DoipConstants.OP_*); anything else is an extended operation.
inline constexpr std::string_view kOpHello = "0.DOIP/Op.Hello";
inline constexpr std::string_view kOpCreate = "0.DOIP/Op.Create";
inline constexpr std::string_view kOpRetrieve = "0.DOIP/Op.Retrieve";
inline constexpr std::string_view kOpUpdate = "0.DOIP/Op.Update";
inline constexpr std::string_view kOpDelete = "0.DOIP/Op.Delete";
inline constexpr std::string_view kOpSearch = "0.DOIP/Op.Search";
inline constexpr std::string_view kOpListOperations = "0.DOIP/Op.ListOperations";

// Hello's output type (Cordra buildDoipServiceInfo).
inline constexpr std::string_view kDoipServiceType = "0.TYPE/DOIPService";

}  // namespace ecusim::digital_object

#endif  // ECUSIM_SIM_DIGITAL_OBJECT_SEGMENT_FORMAT_H_
