namespace Federation.Trust.Tests;

public class SodiumTests
{
    [Fact]
    public void Missing_libsodium_is_reported_with_the_Debian_package_to_install()
    {
        var error = SodiumLibraryLoader.NotInstalled(inner: null);

        error.ShouldBeOfType<DllNotFoundException>();
        error.Message.ShouldContain("libsodium23");
        error.Message.ShouldContain("libsodium.so.23");
    }

    [Fact]
    public void System_libsodium_is_found_without_the_unversioned_symlink()
    {
        // Debian's libsodium23 installs only libsodium.so.23; any signing proves it loaded.
        using var key = Ed25519KeyPair.Generate();

        key.Sign("loaded"u8).Length.ShouldBe(64);
    }
}
