/*
 * TEST ONLY, NEVER SHIPPED: a stand-in bcryptprimitives.dll for running the Windows build under
 * Debian 12's Wine 8, which lacks ProcessPrng.
 *
 * Rust's standard library draws its random numbers (HashMap keys) through ProcessPrng, which
 * bcryptprimitives.dll exports on Windows 10 and later; Wine 8's builtin DLL does not, so the .exe
 * cannot load there. scripts/windows-smoke.sh builds this file with mingw next to the .exe under
 * test and tells Wine to prefer it (WINEDLLOVERRIDES=bcryptprimitives=n,b). It answers with
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. Release archives never contain it.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
