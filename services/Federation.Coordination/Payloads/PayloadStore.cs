using Federation.Audit.Contributions;
using Federation.Trust;

namespace Federation.Coordination.Payloads;

/// <summary>
/// Content-addressed storage for contribution payloads and model versions: each blob is a
/// file named by its SHA-256, so events refer to payloads by hash and a blob can never be
/// swapped without the hash showing it.
/// </summary>
public sealed class PayloadStore : IAssembledPayloads
{
    private readonly string directory;

    /// <summary>Uses (and creates) <paramref name="directory"/>.</summary>
    public PayloadStore(string directory)
    {
        this.directory = directory;
        Directory.CreateDirectory(directory);
        IncomingDirectory = Path.Combine(directory, "incoming");
    }

    /// <summary>
    /// Where payloads that arrive apart from their contribution are written (<see cref="PayloadUploads"/>, <see cref="PayloadAssembly"/>) before they join the store;
    /// nothing in it is ever read as a payload.
    /// </summary>
    public string IncomingDirectory { get; }

    /// <summary>Whether a blob with this SHA-256 is stored.</summary>
    public bool Contains(string sha256) => File.Exists(PathOf(sha256));

    /// <summary>The length in bytes of a stored blob, read from the file system without opening it.</summary>
    /// <exception cref="FileNotFoundException">No blob has that hash.</exception>
    public long LengthOf(string sha256) => new FileInfo(ExistingPath(sha256)).Length;

    /// <summary>
    /// Opens a stored blob for reading without loading it, for checks that stream over large payloads. The hash is not
    /// checked here: blobs enter the store only under their verified hash (<see cref="PutAsync"/>, <see cref="Adopt"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">No blob has that hash.</exception>
    public FileStream OpenRead(string sha256) =>
        new(ExistingPath(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);

    /// <summary>
    /// Moves a file whose SHA-256 the caller has just computed into the store under that hash (a rename, so the blob
    /// appears whole or not at all). A blob already stored under the hash is kept and the file deleted.
    /// </summary>
    /// <param name="file">A file on the same file system, e.g. in <see cref="IncomingDirectory"/>.</param>
    /// <param name="sha256">Its SHA-256, verified by the caller.</param>
    public void Adopt(string file, string sha256)
    {
        var path = PathOf(sha256);
        if (File.Exists(path))
        {
            File.Delete(file);
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Move(file, path, overwrite: true);
    }

    /// <summary>Stores bytes under their SHA-256 (lowercase hex) and returns it. Storing the same bytes twice is a no-op.</summary>
    public async Task<string> PutAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        var sha256 = Sha256Hex.Of(bytes.Span);
        var path = PathOf(sha256);
        if (File.Exists(path))
        {
            return sha256;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Write then rename, so a crash never leaves a truncated blob under a valid name.
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temporary, bytes, cancellationToken);
        File.Move(temporary, path, overwrite: true);
        return sha256;
    }

    /// <summary>Reads a blob and checks that it still hashes to its name (for callers that pull blobs one at a time).</summary>
    /// <exception cref="FileNotFoundException">No blob has that hash.</exception>
    /// <exception cref="InvalidDataException">The blob on disk no longer matches its hash.</exception>
    public byte[] Get(string sha256) => Checked(sha256, File.ReadAllBytes(ExistingPath(sha256)));

    /// <summary>Reads a blob and checks that it still hashes to its name.</summary>
    /// <exception cref="FileNotFoundException">No blob has that hash.</exception>
    /// <exception cref="InvalidDataException">The blob on disk no longer matches its hash.</exception>
    public async Task<byte[]> GetAsync(string sha256, CancellationToken cancellationToken = default)
    {
        return Checked(sha256, await File.ReadAllBytesAsync(ExistingPath(sha256), cancellationToken));
    }

    private string ExistingPath(string sha256)
    {
        var path = PathOf(sha256);
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Payload {sha256} is not in the payload store at {directory}.", path);
    }

    private byte[] Checked(string sha256, byte[] bytes)
    {
        var actual = Sha256Hex.Of(bytes);
        return actual == sha256
            ? bytes
            : throw new InvalidDataException($"Payload file {PathOf(sha256)} hashes to {actual}, not to its name: it was changed on disk.");
    }

    /// <summary>Why the last upload or chunk assembly of this payload failed, or null (see <see cref="PayloadUploads"/>).</summary>
    public string? AssemblyFailure(string sha256)
    {
        var path = IncomingPath(sha256, PayloadAssembly.FailedExtension);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    /// <summary>A file of the assembly of payload <paramref name="sha256"/> in <see cref="IncomingDirectory"/>.</summary>
    internal string IncomingPath(string sha256, string extension) =>
        Sha256Hex.IsWellFormed(sha256)
            ? Path.Combine(IncomingDirectory, sha256 + extension)
            : throw new ArgumentException($"'{sha256}' is not a lowercase SHA-256 hex digest.", nameof(sha256));

    private string PathOf(string sha256)
    {
        if (sha256.Length != 64 || !sha256.All(Uri.IsHexDigit))
        {
            throw new ArgumentException($"'{sha256}' is not a SHA-256 hex digest.", nameof(sha256));
        }

        return Path.Combine(directory, sha256[..2], sha256);
    }
}
