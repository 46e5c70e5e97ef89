// The shadow-paging lesson's guest, unchanged: run it under hardware-assisted (see README.md).
#include "../shadow-paging/shadow_paging.S"
