namespace Federation.Vault;

/// <summary>A validated file to store (<see cref="VaultStore.StoreAll"/>).</summary>
/// <param name="OriginalName">Its file name where it came from.</param>
/// <param name="Content">Its bytes, already validated.</param>
/// <param name="Described">What validation found in it.</param>
public sealed record VaultFile(string OriginalName, byte[] Content, VaultContent Described);
