package io.fieldlink.check;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The REST root of the portability check application ({@code /api/...}). */
@ApplicationPath("api")
public class CheckApplication extends Application {
}
