using System.Security.Cryptography;
using Federation.Contracts.Messages;
using Federation.Learning.Tensors;
using Federation.Trust;

namespace Federation.Site.Models;

/// <summary>
/// The gateway's models on disk, each as <c>&lt;dir&gt;/&lt;sha256&gt;.safetensors</c>, fetched from an
/// <see cref="IModelSource"/> only when missing. A download in progress is <c>&lt;sha256&gt;.partial</c>: after a
/// cut, the next call re-hashes what is there and asks only for the rest. A file appears under its final name only
/// once its length and SHA-256 are those announced, so whatever is cached can be trusted without hashing again.
/// </summary>
public sealed class ModelCache
{
    private const int BufferSize = 1 << 20;
    private readonly string directory;
    private readonly IModelSource source;
    // One download at a time: two writers on one partial file would interleave their bytes.
    private readonly SemaphoreSlim downloading = new(1, 1);

    /// <summary>Keeps models in (and creates) <paramref name="directory"/>.</summary>
    public ModelCache(string directory, IModelSource source)
    {
        this.directory = directory;
        this.source = source;
        Directory.CreateDirectory(directory);
    }

    /// <summary>
    /// The model's parameters, read from its verified file (downloaded first when needed). The file's bytes are read
    /// once and dropped; only the parameters stay.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes received are not the announced model; the message names both hashes.</exception>
    /// <exception cref="SafeTensorsFormatException">The model is not a readable safetensors file.</exception>
    public async Task<TensorSet> ReadAsync(ModelReference model, CancellationToken cancellationToken = default)
    {
        var path = await GetAsync(model, cancellationToken);
        return SafeTensors.Read(await File.ReadAllBytesAsync(path, cancellationToken));
    }

    /// <summary>The path of the model's verified file, downloading (or finishing the download of) it first when needed.</summary>
    /// <exception cref="ArgumentException">The reference's hash is not 64 lowercase hex digits or its length is negative.</exception>
    /// <exception cref="InvalidDataException">The bytes received do not have the announced length or hash; nothing is kept.</exception>
    public async Task<string> GetAsync(ModelReference model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!Sha256Hex.IsWellFormed(model.Sha256) || model.Bytes < 0)
        {
            throw new ArgumentException($"'{model.Sha256}' ({model.Bytes} bytes) does not name a model: a lowercase SHA-256 hex digest and a length are needed.", nameof(model));
        }

        var path = Path.Combine(directory, model.Sha256 + ".safetensors");
        if (File.Exists(path))
        {
            return path;
        }

        await downloading.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(path))
            {
                await DownloadAsync(model, path, cancellationToken);
            }

            return path;
        }
        finally
        {
            downloading.Release();
        }
    }

    private async Task DownloadAsync(ModelReference model, string path, CancellationToken cancellationToken)
    {
        var partial = Path.Combine(directory, model.Sha256 + ".partial");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var file = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, BufferSize, useAsync: true))
        {
            if (file.Length > model.Bytes)
            {
                // More than the model can hold: not a prefix of it, so start over.
                file.SetLength(0);
            }

            await HashPrefixAsync(file, hash, cancellationToken);
            if (file.Length < model.Bytes)
            {
                var received = new HashingStream(file, hash, model.Bytes);
                try
                {
                    await source.CopyToAsync(model, file.Length, received, cancellationToken);
                }
                catch (Exception) when (received.Overflowed)
                {
                    // Whatever the source sends, it is not this model: keep none of it.
                    file.Close();
                    File.Delete(partial);
                    throw new InvalidDataException($"Model {model.Sha256} was announced with {model.Bytes} bytes, but the source sent more; nothing was kept.");
                }
            }

            await file.FlushAsync(cancellationToken);
            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            var problem = file.Length != model.Bytes
                ? $"Model {model.Sha256} was announced with {model.Bytes} bytes, but {file.Length} arrived (they hash to {actual})."
                : actual != model.Sha256
                    ? $"Model {model.Sha256} arrived as bytes hashing to {actual}; they are not the announced model."
                    : null;
            if (problem is not null)
            {
                file.Close();
                File.Delete(partial);
                throw new InvalidDataException(problem);
            }
        }

        File.Move(partial, path, overwrite: true);
    }

    private static async Task HashPrefixAsync(FileStream file, IncrementalHash hash, CancellationToken cancellationToken)
    {
        file.Position = 0;
        var buffer = new byte[BufferSize];
        int read;
        while ((read = await file.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }
    }

    /// <summary>Writes to the partial file and the running hash at once, and refuses bytes beyond the announced length.</summary>
    private sealed class HashingStream(FileStream file, IncrementalHash hash, long limit) : Stream
    {
        public bool Overflowed { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Check(buffer.Length);
            file.Write(buffer);
            hash.AppendData(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Check(buffer.Length);
            await file.WriteAsync(buffer, cancellationToken);
            hash.AppendData(buffer.Span);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => file.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => file.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private void Check(int count)
        {
            if (file.Position + count > limit)
            {
                Overflowed = true;
                throw new InvalidDataException($"The model source sent more than the announced {limit} bytes.");
            }
        }
    }
}
