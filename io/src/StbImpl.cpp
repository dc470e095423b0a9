// The one translation unit that compiles stb's implementations (headers from Debian's libstb-dev).
// We do not link Debian's prebuilt libstb: it enables every decoder stb_image has (GIF, TGA, PSD,
// HDR, PIC, PNM), and version 2.27 predates the 2023 fixes to several of them. Only the three
// formats InfoLens documents are compiled in, from memory only, with stb's own size guard set to
// our limit so a decoder refuses a huge header even if a caller forgot to check it first.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_MAX_DIMENSIONS 8192
#include <stb_image.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb_image_resize.h>
