using System.CommandLine;
using Federation.Trust;
using Spectre.Console;

namespace Federation.Cli.Keys;

/// <summary>
/// <c>fedctl keys init|show</c>: factory IT creates a gateway's Ed25519 key on site and reads back
/// what the operator needs to enrol it. Only the public key and key id are ever printed; the seed
/// stays in the file (docs/FORMATS.md section 6).
/// </summary>
public static class KeysCommand
{
    private const UnixFileMode OthersAndGroup =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Builds <c>fedctl keys</c> and its subcommands.</summary>
    public static Command Create(FedctlContext context)
    {
        var output = CommonOptions.Text("--out", "FILE", "the key file to create, mode 0600, in a folder only its owner can write", required: true);
        var force = CommonOptions.Flag("--force", "replace an existing key file (then rotate or re-enrol the gateway)");
        var init = new Command("init", "create a gateway's Ed25519 key on site and print the public key to enrol") { output, force };
        init.SetAction(parsed => Init(parsed.GetValue(output)!, parsed.GetValue(force), context.Console));

        var key = CommonOptions.Text("--key", "FILE", "the key file", required: true);
        var show = new Command("show", "print a key file's key id and public key (never its seed); warns if others may read it") { key };
        show.SetAction(parsed => Show(parsed.GetValue(key)!, context.Console));

        return new Command("keys", "factory IT makes a gateway's signing key on site and reads back what the operator enrols") { init, show };
    }

    private static int Init(string path, bool force, IAnsiConsole console)
    {
        path = Path.GetFullPath(path);
        if (Directory.Exists(path))
        {
            throw new CommandFailedException($"{path} is a directory; --out names the key file to create.");
        }

        RequirePrivateDirectory(Path.GetDirectoryName(path)!);
        var existed = File.Exists(path);
        string? replaced = null;
        if (existed)
        {
            if (!force)
            {
                throw new CommandFailedException(
                    $"{path} already exists; it may be the only copy of an enrolled gateway's key. Pass --force to replace it (then rotate or re-enrol).");
            }

            replaced = KeyIdOrNull(path) ?? "(not a readable key file)";
        }

        using var key = Ed25519KeyPair.Generate();
        if (!existed)
        {
            // Save creates the file exclusively with mode 0600: never readable by others, never over a file that appeared meanwhile.
            Save(path, key);
        }
        else
        {
            // Write the new key beside the old one, then swap it in with one rename: a failure
            // half way leaves the old key whole, and the new file is 0600 from its first byte.
            var temporary = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
            try
            {
                Save(temporary, key);
                File.Move(temporary, path, overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }
        }

        console.MarkupLineInterpolated($"Created {path} (mode 0600). Enrol this public key with the aggregator's operator:");
        WriteIdentity(key, console);
        if (replaced is not null)
        {
            console.MarkupLineInterpolated($"[yellow]Replaced the previous key {replaced}: the aggregator refuses this gateway's signatures until the new key is enrolled (fedctl gateways rotate).[/]");
        }

        return 0;
    }

    private static int Show(string path, IAnsiConsole console)
    {
        path = Path.GetFullPath(path);
        Ed25519KeyPair key;
        try
        {
            key = Ed25519KeyFile.Load(path);
        }
        catch (Exception error) when (error is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new CommandFailedException(error.Message);
        }

        using (key)
        {
            WriteIdentity(key, console);
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & OthersAndGroup) is var exposed && exposed != 0)
        {
            // 0400 is as good as 0600; what matters is that nobody but the owner can read the seed.
            console.MarkupLineInterpolated(
                $"[yellow]Warning: {path} has mode {Octal(File.GetUnixFileMode(path))}; group or others may read or change this private key. Run: chmod 600 {path}[/]");
        }

        return 0;
    }

    private static void WriteIdentity(Ed25519KeyPair key, IAnsiConsole console)
    {
        console.MarkupLineInterpolated($"key id:     {key.KeyId}");
        console.MarkupLineInterpolated($"public key: {Convert.ToBase64String(key.PublicKey.Span)}");
    }

    private static void Save(string path, Ed25519KeyPair key)
    {
        try
        {
            Ed25519KeyFile.Save(path, key);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"Cannot write {path}: {error.Message}");
        }
    }

    /// <summary>
    /// Whoever may write a directory may delete or rename-replace any file in it, whatever the
    /// file's own mode: a group- or world-writable directory lets someone else swap the gateway's
    /// identity. /tmp and its kin are also cleaned at boot, no place for a long-lived key.
    /// </summary>
    private static void RequirePrivateDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new CommandFailedException($"The directory {directory} does not exist; create it (writable only by its owner) first.");
        }

        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(directory);
            if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            {
                throw new CommandFailedException(
                    $"The directory {directory} (mode {Octal(mode)}) is writable by group or others, who could delete or replace the key; keep keys in a directory only its owner can write (e.g. /etc/federation, 0755 root).");
            }
        }
    }

    private static string? KeyIdOrNull(string path)
    {
        try
        {
            using var existing = Ed25519KeyFile.Load(path);
            return existing.KeyId;
        }
        catch (Exception error) when (error is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
}
