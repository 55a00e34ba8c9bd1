using Federation.Aggregator.Api;
using Federation.Contracts.Api;

namespace Federation.Aggregator.Tests.Api;

public sealed class ApiOptionsTests
{
    private static ApiOptions With(string name, string role, string tokenSha256) =>
        new() { Credentials = [new ApiCredential { Name = name, Role = role, TokenSha256 = tokenSha256 }] };

    [Theory]
    [InlineData("", "auditor", "Name")]
    [InlineData("kpmg", "admin", "Role")]
    [InlineData("kpmg", "auditor", "TokenSha256")]
    public void A_misconfigured_credential_is_refused_at_startup_naming_the_setting(string name, string role, string setting)
    {
        var options = With(name, role, setting == "TokenSha256" ? "not-hex" : new string('a', 64));

        var error = Should.Throw<InvalidOperationException>(options.Validate);

        error.Message.ShouldContain($"Aggregator:Api:Credentials:0:{setting}");
    }

    [Fact]
    public void A_well_formed_credential_is_accepted()
    {
        Should.NotThrow(With("kpmg", "auditor", new string('a', 64)).Validate);
    }
}
