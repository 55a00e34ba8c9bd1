using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Federation.EventStore.Postgres;

/// <summary>
/// The PostgreSQL schema that holds one event store, and the advisory-lock key that belongs to it.
/// Restricted to lower-case unquoted identifiers, so it can be written into SQL without any escaping rules.
/// </summary>
internal sealed partial class PostgresSchemaName
{
    private PostgresSchemaName(string name)
    {
        Name = name;
        Quoted = $"\"{name}\"";

        // Stable across processes and machines (string.GetHashCode is not), so every store on this schema
        // agrees on the key. A collision with another schema's key would only make their appends take turns.
        LockKey = BinaryPrimitives.ReadInt32BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(name)));
    }

    /// <summary>The schema's name, e.g. <c>federation</c>.</summary>
    public string Name { get; }

    /// <summary>The name as a quoted SQL identifier.</summary>
    public string Quoted { get; }

    /// <summary>The second key of this schema's two-key advisory locks.</summary>
    public int LockKey { get; }

    public static PostgresSchemaName Parse(string schema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(schema);
        if (!Identifier().IsMatch(schema) || schema.StartsWith("pg_", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"The schema name '{schema}' must be 1 to 63 characters of a-z, 0-9 and _, start with a letter or _, and not start with pg_.",
                nameof(schema));
        }

        return new PostgresSchemaName(schema);
    }

    // 63 bytes is PostgreSQL's identifier limit (NAMEDATALEN - 1); longer names would be silently truncated.
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
