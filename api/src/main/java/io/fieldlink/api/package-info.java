/**
 * What applications compile against (use it with {@code provided} scope): {@link
 * io.fieldlink.api.DeviceConnectionFactory}, {@link io.fieldlink.api.DeviceConnection}, the health
 * view {@link io.fieldlink.api.DeviceStatus} and the checked exceptions.
 */
package io.fieldlink.api;
