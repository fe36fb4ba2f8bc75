/** The transport a query arrived on (its own module: the pipeline, its observers and the transports all name it). */
export type Transport = 'udp' | 'tcp';
