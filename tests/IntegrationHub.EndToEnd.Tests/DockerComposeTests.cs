using IntegrationHub.Testing;
using YamlDotNet.RepresentationModel;

namespace IntegrationHub.EndToEnd.Tests;

/// <summary>
/// Docker does not run here, so the compose files are checked as documents: what a user gets from
/// <c>docker compose up</c> must not expose the broker or database, use default passwords or leave development
/// conveniences on by accident.
/// </summary>
public sealed class DockerComposeTests
{
    static readonly string[] DevelopmentConveniences = ["DevSigningKey", "Simulators", "AllowInsecureCallbacks", "AllowOutsideDevelopment"];

    [Fact]
    public void Deployment_compose_keeps_broker_and_database_on_an_internal_network_without_published_ports()
    {
        var compose = Load("docker-compose.yml");
        var internalNetworks = Mapping(compose, "networks").Children
            .Where(n => n.Value is YamlMappingNode m && Scalar(m, "internal") == "true")
            .Select(n => ((YamlScalarNode)n.Key).Value!)
            .ToHashSet();

        foreach (var name in new[] { "rabbitmq", "postgres" })
        {
            var service = Service(compose, name);
            var networks = Sequence(service, "networks");
            Assert.True(networks.Count > 0 && networks.All(internalNetworks.Contains), $"{name} is on networks [{string.Join(", ", networks)}], not only internal ones");
            foreach (var port in Sequence(service, "ports"))
                Assert.True(port.StartsWith("127.0.0.1:", StringComparison.Ordinal), $"{name} publishes {port} beyond the Docker host's loopback");
        }
        Assert.DoesNotContain(Sequence(Service(compose, "rabbitmq"), "ports"), p => p.EndsWith(":5672", StringComparison.Ordinal));
    }

    [Fact]
    public void Deployment_compose_has_no_default_passwords()
    {
        var compose = Load("docker-compose.yml");
        var secrets = new[]
        {
            Environment(Service(compose, "rabbitmq"))["RABBITMQ_DEFAULT_PASS"],
            Environment(Service(compose, "postgres"))["POSTGRES_PASSWORD"],
            Environment(Service(compose, "hub"))["ConnectionStrings__RabbitMq"],
            Environment(Service(compose, "hub"))["ConnectionStrings__Postgres"],
        };

        foreach (var secret in secrets)
            Assert.Matches(@"\$\{HUB_[A-Z_]+_PASSWORD:\?[^}]*\}", secret);
        Assert.DoesNotContain("guest", Environment(Service(compose, "hub"))["ConnectionStrings__RabbitMq"]);
        var example = RepositoryFiles.Read(".env.example");
        Assert.Matches("(?m)^HUB_RABBITMQ_PASSWORD=$", example);
        Assert.Matches("(?m)^HUB_POSTGRES_PASSWORD=$", example);
        Assert.Contains(".env", RepositoryFiles.Read(".gitignore").Split('\n').Select(l => l.Trim()));
        Assert.Contains(".env", RepositoryFiles.Read(".dockerignore").Split('\n').Select(l => l.Trim()));
    }

    [Fact]
    public void Deployment_compose_runs_the_hub_in_production_with_oidc_and_no_development_conveniences()
    {
        var hub = Environment(Service(Load("docker-compose.yml"), "hub"));

        Assert.Equal("Production", hub["ASPNETCORE_ENVIRONMENT"]);
        Assert.StartsWith("${HUB_AUTH_AUTHORITY:?", hub["Hub__Auth__Authority"]);
        Assert.StartsWith("${HUB_AUTH_AUDIENCE:?", hub["Hub__Auth__Audience"]);
        foreach (var key in hub.Keys)
            Assert.DoesNotContain(DevelopmentConveniences, c => key.Contains(c, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Demo_compose_is_embedded_and_reachable_from_the_docker_host_only()
    {
        var demo = Load("docker-compose.demo.yml");
        var services = Mapping(demo, "services").Children.Keys.Select(k => ((YamlScalarNode)k).Value).ToList();

        Assert.Equal(["hub"], services);
        var hub = Service(demo, "hub");
        Assert.DoesNotContain("Hub__Transport", Environment(hub).Keys);
        var ports = Sequence(hub, "ports");
        Assert.NotEmpty(ports);
        Assert.All(ports, p => Assert.StartsWith("127.0.0.1:", p));
    }

    static YamlMappingNode Load(string file)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(RepositoryFiles.Read(file));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    static YamlMappingNode Mapping(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) && child is YamlMappingNode mapping
            ? mapping
            : throw new InvalidOperationException($"'{key}' is missing or not a mapping");

    static YamlMappingNode Service(YamlMappingNode compose, string name) => Mapping(Mapping(compose, "services"), name);

    static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? (child as YamlScalarNode)?.Value : null;

    static List<string> Sequence(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) && child is YamlSequenceNode sequence
            ? sequence.Children.Select(c => ((YamlScalarNode)c).Value!).ToList()
            : [];

    static Dictionary<string, string> Environment(YamlMappingNode service) =>
        Mapping(service, "environment").Children.ToDictionary(e => ((YamlScalarNode)e.Key).Value!, e => ((YamlScalarNode)e.Value).Value ?? "");
}
