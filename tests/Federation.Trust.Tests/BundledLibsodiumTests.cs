using System.Diagnostics;

namespace Federation.Trust.Tests;

public class BundledLibsodiumTests
{
    [Fact]
    public void Libsodium_that_signs_is_the_one_shipped_with_the_application_not_a_system_library()
    {
        // Hosts install nothing for Ed25519: the native library comes in NSec's package
        // and is copied beside the application. A system libsodium being picked up
        // instead would hide a missing file in the published output.
        using var key = Ed25519KeyPair.Generate();
        key.Sign("loaded"u8).Length.ShouldBe(64);

        var loaded = Process.GetCurrentProcess().Modules
            .Cast<ProcessModule>()
            .Where(m => m.ModuleName.StartsWith("libsodium", StringComparison.OrdinalIgnoreCase))
            .Select(m => Path.GetFullPath(m.FileName))
            .Distinct()
            .ToList();

        loaded.ShouldNotBeEmpty();
        loaded.ShouldAllBe(path => path.StartsWith(Path.GetFullPath(AppContext.BaseDirectory), StringComparison.Ordinal));
    }
}
