using Microsoft.Data.Sqlite;

namespace Federation.Vault.Sqlite;

/// <summary>Parameterized SQLite commands, shared by the vault index and the gateway's state (Federation.Site).</summary>
public static class SqliteCommands
{
    /// <summary>A command with <paramref name="parameters"/> bound by name, in <paramref name="transaction"/> when given.</summary>
    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    /// <summary>Runs a statement; returns the rows it changed.</summary>
    public static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }
}
