namespace BallOrleans.Grains.Hosting;

/// <summary>Which local addresses a silo's silo-to-silo and gateway ports listen on.</summary>
public enum SiloListening
{
    /// <summary>
    /// Only <c>Orleans:AdvertisedAddress</c> (127.0.0.1 by default), and no gateway. The web
    /// co-host: its silo talks to no other machine, so nobody else on the network, or in a
    /// neighbouring container sharing the host's network, may reach the cluster transport; and its
    /// silo port speaks mutual TLS with a CA made in memory (<see cref="ClusterCertificates.Ephemeral"/>),
    /// so no other process of the machine completes a handshake either.
    /// </summary>
    AdvertisedAddressOnly,

    /// <summary>
    /// Every local address. Standalone silos: the advertised address may not be one of the
    /// machine's own (a relay or NAT in front, as <c>cluster.sh --netns</c> can set up). Mutual
    /// TLS (<see cref="ClusterTransport"/>) says who may talk to them, and in Kubernetes a
    /// NetworkPolicy (deploy/k8s/network-policy.yaml) who may connect at all.
    /// </summary>
    AnyAddress,
}
