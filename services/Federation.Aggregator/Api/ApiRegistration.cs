using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Aggregator.Api;

/// <summary>The authorization policies of the API.</summary>
public static class ApiPolicies
{
    /// <summary>Read anything: operators and auditors.</summary>
    public const string Read = "read";

    /// <summary>Change something: operators only.</summary>
    public const string Operate = "operate";
}

/// <summary>Adds the aggregator's HTTP API to a web host.</summary>
public static class ApiRegistration
{
    /// <summary>Adds authentication by bearer token and the two policies.</summary>
    /// <exception cref="InvalidOperationException">A credential is misconfigured; the message names the setting.</exception>
    public static IServiceCollection AddAggregatorApi(this IServiceCollection services, ApiOptions options)
    {
        options.Validate();
        services.AddSingleton(options);
        services.AddAuthentication(TokenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiPolicies.Read, policy => policy.RequireRole(ApiRoles.Operator, ApiRoles.Auditor))
            .AddPolicy(ApiPolicies.Operate, policy => policy.RequireRole(ApiRoles.Operator));
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
            // A misspelt field (say "invite" for "invited") must be an error, not silently ignored.
            json.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        });
        services.AddProblemDetails();
        return services;
    }

    /// <summary>Maps every endpoint under <c>/api</c>.</summary>
    public static IEndpointRouteBuilder MapAggregatorApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");
        api.MapTasks();
        api.MapRounds();
        api.MapModels();
        api.MapEvents();
        api.MapLog();
        api.MapGateways();
        api.MapPayloads();
        api.MapModelFiles();
        api.MapPayloadUploads();
        return endpoints;
    }
}
