using System.Reflection;
using System.Runtime.InteropServices;

namespace Federation.Trust;

/// <summary>
/// Finds the native libsodium for the P/Invokes in <see cref="Sodium"/>.
/// </summary>
/// <remarks>
/// Debian's runtime package <c>libsodium23</c> installs only <c>libsodium.so.23</c>;
/// the unversioned <c>libsodium.so</c> symlink comes with the -dev package, which
/// production hosts do not have. The default probing for "libsodium" would therefore
/// miss the library, so we try the versioned name first.
/// </remarks>
internal static class SodiumLibraryLoader
{
    /// <summary>The name the P/Invoke declarations use.</summary>
    internal const string LibraryName = "libsodium";

    // Versioned Debian name first, then whatever the platform calls it
    // (libsodium.so via the -dev symlink, libsodium.dylib, libsodium.dll).
    private static readonly string[] CandidateNames = ["libsodium.so.23", LibraryName];

    /// <summary>Routes this assembly's imports of <see cref="LibraryName"/> to the candidates above.</summary>
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(SodiumLibraryLoader).Assembly, Resolve);

    /// <summary>The exception to throw when no candidate could be loaded.</summary>
    internal static DllNotFoundException NotInstalled(Exception? inner) =>
        new(
            "The native library libsodium could not be loaded (tried "
            + string.Join(", ", CandidateNames)
            + "). Install the Debian package libsodium23: apt-get install libsodium23",
            inner);

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LibraryName)
        {
            return IntPtr.Zero;
        }

        foreach (var name in CandidateNames)
        {
            if (NativeLibrary.TryLoad(name, assembly, searchPath, out var handle))
            {
                return handle;
            }
        }

        // Zero lets the runtime fall back to its own probing, which ends in a
        // DllNotFoundException that Sodium turns into the install hint.
        return IntPtr.Zero;
    }
}
