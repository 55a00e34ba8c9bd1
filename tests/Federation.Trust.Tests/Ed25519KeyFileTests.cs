using System.Text;

namespace Federation.Trust.Tests;

public sealed class Ed25519KeyFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("federation-trust-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Saved_key_loads_back_as_the_same_key()
    {
        var path = PathFor("node.key");
        using var original = Ed25519KeyPair.Generate();

        Ed25519KeyFile.Save(path, original);
        using var loaded = Ed25519KeyFile.Load(path);

        loaded.PublicKey.ToArray().ShouldBe(original.PublicKey.ToArray());
        loaded.ExportSeed().ShouldBe(original.ExportSeed());
        loaded.KeyId.ShouldBe(original.KeyId);
    }

    [Fact]
    public void Saved_file_is_one_line_holding_the_seed_in_base64()
    {
        var path = PathFor("node.key");
        var v = Rfc8032Vectors.ByName["TEST 1"];
        using var key = Ed25519KeyPair.FromSeed(v.SeedBytes);

        Ed25519KeyFile.Save(path, key);

        File.ReadAllText(path).ShouldBe("ed25519-seed:" + Convert.ToBase64String(v.SeedBytes) + "\n");
    }

    [Fact]
    public void Saved_file_is_readable_and_writable_only_by_its_owner()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Windows has no Unix file modes.
        }

        var path = PathFor("node.key");
        using var key = Ed25519KeyPair.Generate();

        Ed25519KeyFile.Save(path, key);

        File.GetUnixFileMode(path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public void Existing_key_file_is_never_overwritten()
    {
        var path = PathFor("node.key");
        using var first = Ed25519KeyPair.Generate();
        using var second = Ed25519KeyPair.Generate();
        Ed25519KeyFile.Save(path, first);
        var before = File.ReadAllBytes(path);

        var error = Should.Throw<IOException>(() => Ed25519KeyFile.Save(path, second));

        error.Message.ShouldContain(path);
        File.ReadAllBytes(path).ShouldBe(before);
    }

    [Fact]
    public void Any_existing_file_is_never_overwritten()
    {
        var path = PathFor("notes.txt");
        File.WriteAllText(path, "not a key");
        using var key = Ed25519KeyPair.Generate();

        Should.Throw<IOException>(() => Ed25519KeyFile.Save(path, key));

        File.ReadAllText(path).ShouldBe("not a key");
    }

    [Fact]
    public void Loading_a_missing_file_names_the_path()
    {
        var path = PathFor("missing.key");

        var error = Should.Throw<FileNotFoundException>(() => Ed25519KeyFile.Load(path));

        error.Message.ShouldContain(path);
        error.FileName.ShouldBe(path);
    }

    [Fact]
    public void Loading_from_a_missing_directory_names_the_path()
    {
        var path = Path.Combine(_directory.FullName, "no-such-dir", "node.key");

        Should.Throw<FileNotFoundException>(() => Ed25519KeyFile.Load(path)).Message.ShouldContain(path);
    }

    [Theory]
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("ed25519-secret:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("ED25519-SEED:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")]
    [InlineData("-----BEGIN PRIVATE KEY-----\n")]
    public void File_without_the_seed_prefix_is_rejected(string content)
    {
        var error = LoadRejects(content);

        error.Message.ShouldContain("ed25519-seed:");
    }

    [Theory]
    [InlineData("ed25519-seed:not base64!\n")]
    [InlineData("ed25519-seed:AAAA*AAA\n")]
    [InlineData("ed25519-seed:AAAAA\n")]
    public void File_with_a_seed_that_is_not_base64_is_rejected(string content)
    {
        var error = LoadRejects(content);

        error.Message.ShouldContain("base64");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(64)]
    public void File_with_a_seed_of_the_wrong_length_is_rejected(int length)
    {
        var error = LoadRejects("ed25519-seed:" + Convert.ToBase64String(new byte[length]) + "\n");

        error.Message.ShouldContain($"{length}-byte");
        error.Message.ShouldContain("32 bytes");
    }

    [Theory]
    [InlineData("")]
    [InlineData("\r\n")]
    [InlineData("\n\n")]
    public void Line_end_after_the_seed_may_be_missing_or_CRLF(string lineEnd)
    {
        var v = Rfc8032Vectors.ByName["TEST 2"];
        var path = PathFor("edited.key");
        File.WriteAllText(path, "ed25519-seed:" + Convert.ToBase64String(v.SeedBytes) + lineEnd);

        using var key = Ed25519KeyFile.Load(path);

        Convert.ToHexStringLower(key.PublicKey.Span).ShouldBe(v.PublicKey);
    }

    private InvalidDataException LoadRejects(string content)
    {
        var path = PathFor("bad.key");
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(content));

        var error = Should.Throw<InvalidDataException>(() => Ed25519KeyFile.Load(path));

        error.Message.ShouldContain(path);
        return error;
    }

    private string PathFor(string name) => Path.Combine(_directory.FullName, name);
}
