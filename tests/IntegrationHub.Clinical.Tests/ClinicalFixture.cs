using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Clinical.Tests;

/// <summary>
/// The Clinical endpoint's real Program (embedded, Development) with a dev key generated for this run, department
/// <c>health</c>, a small request limit and the example department profile of docs/examples/fhir loaded from its file.
/// </summary>
public class ClinicalFixture : IAsyncLifetime
{
    public const string Health = "health";
    public const int MaxRequestBytes = 64 * 1024;
    public const int MaxHl7Bytes = 32 * 1024;
    public const string ProfileUrl = "https://hub.example.gov/fhir/StructureDefinition/department-patient";

    readonly string _signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
    WebApplicationFactory<Program> _factory = null!;

    public HttpClient Http { get; private set; } = null!;

    public static string Example(string name) => RepositoryFiles.Read("docs", "examples", "fhir", name);

    public Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web => Settings(web)
            .UseSetting("Hub:Auth:DevSigningKey", _signingKey)
            .UseSetting($"Hub:Departments:{Health}:RequestsPerMinute", "100000")
            .UseSetting("Hub:Clinical:MaxRequestBytes", MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .UseSetting("Hub:Clinical:Fhir:Profiles:0", RepositoryFiles.PathOf("docs", "examples", "fhir", "department-patient.profile.json"))
            .UseSetting($"Hub:Clinical:Hl7v2:Departments:{Health}:Senders:0", $"{Hl7v2Messages.Application}^{Hl7v2Messages.Facility}")
            .UseSetting("Hub:Clinical:Hl7v2:MaxMessageBytes", MaxHl7Bytes.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ConfigureTestServices(ConfigureServices));
        Http = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public virtual async Task DisposeAsync() => await _factory.DisposeAsync();

    /// <summary>More settings for one fixture (a legacy system to deliver to…).</summary>
    protected virtual IWebHostBuilder Settings(IWebHostBuilder web) => web;

    /// <summary>Replaces services of the endpoint for one fixture (e.g. a store whose database is away).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public string Token(string department = Health, params string[] scopes) =>
        DevTokens.Create(_signingKey, department, scopes.Length > 0 ? scopes : [ClinicalScopes.Read.Name], TimeSpan.FromMinutes(10));

    public Task<HttpResponseMessage> Post(string path, string body, string contentType = "application/fhir+json", string? accept = null, string? token = "") =>
        Post(path, Encoding.UTF8.GetBytes(body), contentType, accept, token);

    /// <summary>POSTs <paramref name="body"/> with a <c>clinical:read</c> token of <c>health</c> unless <paramref name="token"/> says otherwise (null: none).</summary>
    public Task<HttpResponseMessage> Post(string path, byte[] body, string contentType = "application/fhir+json", string? accept = null, string? token = "")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (accept is not null) request.Headers.Accept.ParseAdd(accept);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token == "" ? Token() : token);
        return Http.SendAsync(request);
    }
}

/// <summary>An OperationOutcome's issues as a test reads them, from FHIR JSON or XML.</summary>
public sealed record Issue(string Severity, string Code, string? Expression, string Text)
{
    public bool IsError => Severity is "error" or "fatal";

    public static async Task<IReadOnlyList<Issue>> Of(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return response.Content.Headers.ContentType?.MediaType == "application/fhir+xml" ? OfXml(text) : OfJson(text);
    }

    public static IReadOnlyList<Issue> OfJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("OperationOutcome", root.GetProperty("resourceType").GetString());
        return root.TryGetProperty("issue", out var issues)
            ? issues.EnumerateArray().Select(i => new Issue(i.GetProperty("severity").GetString()!, i.GetProperty("code").GetString()!,
                i.TryGetProperty("expression", out var e) ? e[0].GetString() : null,
                (i.TryGetProperty("details", out var d) && d.TryGetProperty("text", out var t) ? t.GetString() + " " : "") +
                (i.TryGetProperty("diagnostics", out var g) ? g.GetString() : ""))).ToList()
            : [];
    }

    public static IReadOnlyList<Issue> OfXml(string xml)
    {
        XNamespace fhir = "http://hl7.org/fhir";
        var root = XDocument.Parse(xml).Root!;
        Assert.Equal(fhir + "OperationOutcome", root.Name);
        string? Value(XElement e, string name) => e.Element(fhir + name)?.Attribute("value")?.Value;
        return root.Elements(fhir + "issue").Select(i => new Issue(Value(i, "severity")!, Value(i, "code")!, Value(i, "expression"),
            (i.Element(fhir + "details") is { } d ? Value(d, "text") + " " : "") + Value(i, "diagnostics"))).ToList();
    }
}
