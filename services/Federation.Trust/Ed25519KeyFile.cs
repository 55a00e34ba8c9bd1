using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace Federation.Trust;

/// <summary>
/// Stores an <see cref="Ed25519KeyPair"/> on disk.
/// </summary>
/// <remarks>
/// <para>
/// File format: one line of ASCII text, <c>ed25519-seed:&lt;base64&gt;\n</c>, where
/// &lt;base64&gt; is the standard (RFC 4648, padded) base64 of the 32-byte seed. The
/// public key is not stored: it is derived from the seed, so it can never disagree.
/// </para>
/// <para>
/// The prefix names what the file holds, so a key of another kind, or some unrelated
/// file, is rejected instead of being misread as a seed. On reading, trailing
/// whitespace (a missing or CRLF line end after hand editing) is tolerated.
/// </para>
/// <para>
/// The content is handled as bytes, never as a string, so that every copy of the
/// seed can be zeroed after use (strings are immutable and linger until collected).
/// </para>
/// </remarks>
public static class Ed25519KeyFile
{
    private static ReadOnlySpan<byte> Prefix => "ed25519-seed:"u8;

    /// <summary>
    /// Writes <paramref name="key"/> to a new file at <paramref name="path"/>. On Unix the
    /// file is created with mode 0600, so only its owner can read the private key.
    /// </summary>
    /// <exception cref="IOException">A file already exists at <paramref name="path"/>.</exception>
    public static void Save(string path, Ed25519KeyPair key)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(key);

        // Overwriting a key file destroys the only copy of a private key; that is
        // never what a caller means, so it is refused rather than left to an option.
        if (File.Exists(path))
        {
            throw new IOException($"Refusing to overwrite the existing key file '{path}'.");
        }

        var seed = key.ExportSeed();
        var content = new byte[Prefix.Length + Base64.GetMaxEncodedToUtf8Length(seed.Length) + 1];
        try
        {
            Prefix.CopyTo(content);
            Base64.EncodeToUtf8(seed, content.AsSpan(Prefix.Length), out _, out var written);
            content[Prefix.Length + written] = (byte)'\n';

            // CreateNew also closes the race with a file appearing after the check above.
            using var file = new FileStream(path, CreateOptions());
            file.Write(content, 0, Prefix.Length + written + 1);
            file.Flush(flushToDisk: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
            CryptographicOperations.ZeroMemory(content);
        }
    }

    /// <summary>Reads the key pair stored at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not in the format described above.</exception>
    public static Ed25519KeyPair Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);

        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"Key file '{path}' does not exist.", path, e);
        }

        var seed = new byte[Base64.GetMaxDecodedFromUtf8Length(content.Length)];
        try
        {
            return FromContent(path, content, seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    private static Ed25519KeyPair FromContent(string path, ReadOnlySpan<byte> content, Span<byte> seed)
    {
        var line = content.TrimEnd(" \t\r\n"u8);
        if (!line.StartsWith(Prefix))
        {
            throw new InvalidDataException(
                $"Key file '{path}' is not an Ed25519 seed file: it must start with 'ed25519-seed:'.");
        }

        var status = Base64.DecodeFromUtf8(line[Prefix.Length..], seed, out _, out var written);
        if (status != OperationStatus.Done)
        {
            throw new InvalidDataException($"Key file '{path}' holds a seed that is not valid base64.");
        }

        if (written != Ed25519.SeedLength)
        {
            throw new InvalidDataException(
                $"Key file '{path}' holds a {written}-byte seed; an Ed25519 seed is {Ed25519.SeedLength} bytes.");
        }

        return Ed25519KeyPair.FromSeed(seed[..written]);
    }

    private static FileStreamOptions CreateOptions()
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };

        // Set at creation, not chmod-ed afterwards, so there is no moment in which
        // the key is readable by others. Windows has no Unix modes (and throws).
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }
}
