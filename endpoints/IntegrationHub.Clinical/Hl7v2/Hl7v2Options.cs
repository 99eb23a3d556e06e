using System.Net;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Departments;

namespace IntegrationHub.Clinical.Hl7v2;

/// <summary>
/// <c>Hub:Clinical:Hl7v2</c>: who may send HL7 v2 for each department (<c>Departments:{id}:Senders</c>, MSH-3^MSH-4
/// pairs), the largest message (<c>MaxMessageBytes</c>), and the MLLP listeners (<c>Mllp</c>), each bound to one
/// department. Checked when the process starts, every problem listed; certificate files are loaded then too.
/// </summary>
public sealed class Hl7v2Options
{
    public const string SectionName = ClinicalOptions.SectionName + ":Hl7v2";
    public const int DefaultMaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>Largest message, on MLLP (frame) and HTTP (body) alike; larger ones get AR 207 (MLLP) or 413 (HTTP).</summary>
    public int MaxMessageBytes { get; private init; } = DefaultMaxMessageBytes;

    /// <summary>Per department (normalised id): the senders it accepts. A department with none accepts nothing.</summary>
    public IReadOnlyDictionary<string, Hl7v2Senders> Senders { get; private init; } = new Dictionary<string, Hl7v2Senders>();

    public MllpListenersOptions Mllp { get; private init; } = new();

    /// <summary>Legacy systems the hub delivers HL7 v2 to (<c>Destinations:{name}</c>), by name.</summary>
    public IReadOnlyDictionary<string, Hl7v2Destination> Destinations { get; private init; } = new Dictionary<string, Hl7v2Destination>();

    public Hl7v2Senders SendersOf(string department) =>
        Senders.TryGetValue(DepartmentRegistry.Normalize(department), out var senders) ? senders : Hl7v2Senders.None;

    public static Hl7v2Options From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var problems = new List<string>();
        var maxMessageBytes = DefaultMaxMessageBytes;
        if (section[nameof(MaxMessageBytes)] is { } max && (!int.TryParse(max, out maxMessageBytes) || maxMessageBytes < 1024))
            problems.Add($"{SectionName}:{nameof(MaxMessageBytes)} must be a whole number of bytes, at least 1024 (e.g. {DefaultMaxMessageBytes})");

        var senders = new Dictionary<string, Hl7v2Senders>(StringComparer.Ordinal);
        foreach (var department in section.GetSection("Departments").GetChildren())
        {
            var key = $"{SectionName}:Departments:{department.Key}";
            if (DepartmentRegistry.Problem(department.Key) is { } problem)
            {
                problems.Add($"{key}: {problem}");
                continue;
            }
            if (!Registered(configuration, department.Key))
                problems.Add($"{key}: there is no department '{department.Key}' in {DepartmentOptions.SectionName}");
            var list = Hl7v2Senders.Read(department.GetSection("Senders"), problems);
            if (list.IsEmpty)
                problems.Add($"{key}:Senders must list the sending application and facility (MSH-3^MSH-4) of each system that sends for it, e.g. [\"LABSYS^CITYHOSP\", \"ADT^*\"]");
            senders[DepartmentRegistry.Normalize(department.Key)] = list;
        }

        var mllp = MllpListenersOptions.Read(configuration, section.GetSection("Mllp"), maxMessageBytes, senders, problems);
        var destinations = new Dictionary<string, Hl7v2Destination>(StringComparer.OrdinalIgnoreCase);
        foreach (var destination in section.GetSection("Destinations").GetChildren())
            if (Hl7v2Destination.Read(configuration, destination, problems) is { } read)
                destinations[destination.Key] = read;
        HubSettingsException.ThrowIfAny(problems);
        return new Hl7v2Options { MaxMessageBytes = maxMessageBytes, Senders = senders, Mllp = mllp, Destinations = destinations };
    }

    internal static bool Registered(IConfiguration configuration, string department) =>
        configuration.GetSection(DepartmentOptions.SectionName).GetChildren()
            .Any(d => DepartmentRegistry.Normalize(d.Key) == DepartmentRegistry.Normalize(department));
}

/// <summary>
/// The systems allowed to send for a department: MSH-3 (sending application) and MSH-4 (sending facility), compared on
/// their first component (the namespace id), case-insensitively; <c>*</c> stands for any application or facility.
/// </summary>
public sealed class Hl7v2Senders
{
    readonly (string Application, string Facility)[] _entries;

    Hl7v2Senders((string, string)[] entries) => _entries = entries;

    public static Hl7v2Senders None { get; } = new([]);

    public bool IsEmpty => _entries.Length == 0;

    public bool Allows(string application, string facility) => _entries.Any(e =>
        (e.Application == "*" || string.Equals(e.Application, application, StringComparison.OrdinalIgnoreCase)) &&
        (e.Facility == "*" || string.Equals(e.Facility, facility, StringComparison.OrdinalIgnoreCase)));

    internal static Hl7v2Senders Read(IConfigurationSection section, List<string> problems)
    {
        var entries = new List<(string, string)>();
        foreach (var entry in section.GetChildren())
        {
            var parts = (entry.Value ?? "").Split('^');
            if (parts.Length != 2 || parts.Any(p => p.Trim().Length == 0 || p.Trim().Length > 227))
            {
                problems.Add($"{entry.Path} must be APPLICATION^FACILITY (MSH-3^MSH-4, '*' for any), e.g. LABSYS^CITYHOSP");
                continue;
            }
            entries.Add((parts[0].Trim(), parts[1].Trim()));
        }
        return new Hl7v2Senders([.. entries]);
    }
}

/// <summary><c>Hub:Clinical:Hl7v2:Mllp</c>: limits shared by every listener, and the listeners.</summary>
public sealed class MllpListenersOptions
{
    public int MaxConnections { get; private init; } = 200;
    public TimeSpan IdleTimeout { get; private init; } = TimeSpan.FromMinutes(5);
    public TimeSpan FrameTimeout { get; private init; } = TimeSpan.FromSeconds(30);
    public IReadOnlyList<MllpListenerOptions> Listeners { get; private init; } = [];

    internal static MllpListenersOptions Read(IConfiguration configuration, IConfigurationSection section, int maxMessageBytes,
        IReadOnlyDictionary<string, Hl7v2Senders> senders, List<string> problems)
    {
        var defaults = new MllpListenersOptions();
        var maxConnections = Number(section, nameof(MaxConnections), defaults.MaxConnections, 1, 10_000, problems);
        var idle = Duration(section, nameof(IdleTimeout), defaults.IdleTimeout, problems);
        var frame = Duration(section, nameof(FrameTimeout), defaults.FrameTimeout, problems);
        var listeners = new List<MllpListenerOptions>();
        var ports = new Dictionary<int, string>();
        foreach (var listener in section.GetSection("Listeners").GetChildren())
        {
            var key = listener.Path;
            var port = Number(listener, "Port", -1, 0, 65535, problems);
            if (listener["Port"] is null)
                problems.Add($"{key}:Port must be set (2575 is MLLP's registered port; 0 picks a free one)");
            else if (port > 0 && !ports.TryAdd(port, listener.Key))
                problems.Add($"{key}:Port {port} is also the port of listener '{ports[port]}'");
            var addressText = listener["Address"] ?? "0.0.0.0";
            if (!IPAddress.TryParse(addressText, out var address))
                problems.Add($"{key}:Address must be an IP address to listen on (0.0.0.0 for all, 127.0.0.1 for this machine only)");
            var department = listener["Department"];
            if (string.IsNullOrWhiteSpace(department))
                problems.Add($"{key}:Department must name the department whose systems send on this listener");
            else if (!Hl7v2Options.Registered(configuration, department))
                problems.Add($"{key}:Department: there is no department '{department}' in {DepartmentOptions.SectionName}");
            else if (!senders.ContainsKey(DepartmentRegistry.Normalize(department)))
                problems.Add($"{key}:Department '{department}' has no {Hl7v2Options.SectionName}:Departments:{department}:Senders, so every message on it would be refused");
            var tls = MllpTlsOptions.Read(listener.GetSection("Tls"), problems);
            if (port >= 0 && address is not null && !string.IsNullOrWhiteSpace(department))
                listeners.Add(new MllpListenerOptions(listener.Key, address, port, DepartmentRegistry.Normalize(department), tls, maxMessageBytes));
        }
        return new MllpListenersOptions { MaxConnections = maxConnections, IdleTimeout = idle, FrameTimeout = frame, Listeners = listeners };
    }

    static int Number(IConfigurationSection section, string key, int fallback, int min, int max, List<string> problems)
    {
        if (section[key] is not { } text) return fallback;
        if (int.TryParse(text, out var value) && value >= min && value <= max) return value;
        problems.Add($"{section.Path}:{key} must be a whole number from {min} to {max}");
        return fallback;
    }

    static TimeSpan Duration(IConfigurationSection section, string key, TimeSpan fallback, List<string> problems)
    {
        if (section[key] is not { } text) return fallback;
        if (TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero && value <= TimeSpan.FromDays(1))
            return value;
        problems.Add($"{section.Path}:{key} must be a positive duration of at most a day (e.g. {fallback:c})");
        return fallback;
    }
}

/// <summary>One MLLP listener: where it listens and the department every message on it belongs to.</summary>
public sealed record MllpListenerOptions(string Name, IPAddress Address, int Port, string Department, MllpTlsOptions? Tls, int MaxMessageBytes)
{
    public string Channel => "mllp:" + Name;
}

/// <summary>
/// <c>…:Listeners:{name}:Tls</c>: the server certificate (<c>Certificate</c>: a PKCS#12 file with <c>Password</c>, or a
/// PEM file with <c>Key</c>), and optionally client certificates: <c>RequireClientCertificate</c>, and
/// <c>ClientCertificateThumbprints</c> (SHA-256, hex) to accept only those systems.
/// </summary>
public sealed record MllpTlsOptions(X509Certificate2 Certificate, bool RequireClientCertificate, IReadOnlySet<string> ClientCertificateThumbprints)
{
    internal static MllpTlsOptions? Read(IConfigurationSection section, List<string> problems)
    {
        if (!section.Exists()) return null;
        var path = section["Certificate"];
        if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
        {
            problems.Add($"{section.Path}:Certificate must name the listener's certificate file (PKCS#12 .pfx/.p12, or PEM with {section.Path}:Key)");
            return null;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = section["Key"] is { Length: > 0 } key
                ? X509Certificate2.CreateFromPemFile(path, key)
                : X509CertificateLoader.LoadPkcs12FromFile(path, section["Password"]);
        }
        catch (Exception exception) when (exception is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            problems.Add($"{section.Path}:Certificate {path} could not be loaded: {exception.Message}");
            return null;
        }
        if (!certificate.HasPrivateKey)
            problems.Add($"{section.Path}:Certificate {path} has no private key");
        var thumbprints = section.GetSection("ClientCertificateThumbprints").GetChildren()
            .Select(t => (t.Value ?? "").Replace(":", "").Trim().ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        if (thumbprints.Any(t => t.Length != 64 || !t.All(Uri.IsHexDigit)))
            problems.Add($"{section.Path}:ClientCertificateThumbprints must be SHA-256 thumbprints (64 hex digits)");
        var require = section.GetValue("RequireClientCertificate", thumbprints.Count > 0);
        if (thumbprints.Count > 0 && !require)
            problems.Add($"{section.Path}: ClientCertificateThumbprints need RequireClientCertificate true");
        return new MllpTlsOptions(certificate, require, thumbprints);
    }
}

/// <summary>
/// <c>Hub:Clinical:Hl7v2:Destinations:{name}</c>: a legacy system that takes HL7 v2 over MLLP — <c>Host</c>, <c>Port</c>,
/// the <c>Department</c> whose messages may go there, <c>Tls</c> (true to connect with TLS, <c>TlsServerName</c> to check
/// another name than Host), <c>AckTimeout</c> (30 s), <c>MaxAttempts</c> (5), <c>FirstRetryDelay</c> (1 s, doubling up
/// to <c>MaxRetryDelay</c>, 30 s).
/// </summary>
public sealed record Hl7v2Destination(string Name, string Host, int Port, string Department, bool Tls, string? TlsServerName,
    TimeSpan AckTimeout, int MaxAttempts, TimeSpan FirstRetryDelay, TimeSpan MaxRetryDelay)
{
    internal static Hl7v2Destination? Read(IConfiguration configuration, IConfigurationSection section, List<string> problems)
    {
        var before = problems.Count;
        var host = section["Host"];
        if (string.IsNullOrWhiteSpace(host))
            problems.Add($"{section.Path}:Host must name the system's host (a DNS name or an IP address)");
        if (!int.TryParse(section["Port"], out var port) || port is < 1 or > 65535)
            problems.Add($"{section.Path}:Port must be the system's MLLP port (1 to 65535)");
        var department = section["Department"];
        if (string.IsNullOrWhiteSpace(department) || !Hl7v2Options.Registered(configuration, department))
            problems.Add($"{section.Path}:Department must name the registered department whose messages go to this system");
        var tls = false;
        if (section["Tls"] is { } tlsText && !bool.TryParse(tlsText, out tls))
            problems.Add($"{section.Path}:Tls must be true or false");
        TimeSpan Duration(string key, TimeSpan fallback)
        {
            if (section[key] is not { } text) return fallback;
            if (TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero && value <= TimeSpan.FromHours(1))
                return value;
            problems.Add($"{section.Path}:{key} must be a positive duration of at most an hour (e.g. {fallback:c})");
            return fallback;
        }
        var ackTimeout = Duration("AckTimeout", TimeSpan.FromSeconds(30));
        var first = Duration("FirstRetryDelay", TimeSpan.FromSeconds(1));
        var max = Duration("MaxRetryDelay", TimeSpan.FromSeconds(30));
        var attempts = 5;
        if (section["MaxAttempts"] is { } attemptsText && (!int.TryParse(attemptsText, out attempts) || attempts is < 1 or > 100))
            problems.Add($"{section.Path}:MaxAttempts must be a whole number from 1 to 100");
        return problems.Count > before ? null
            : new Hl7v2Destination(section.Key, host!, port, DepartmentRegistry.Normalize(department!), tls, section["TlsServerName"], ackTimeout,
                attempts, first, max);
    }
}
