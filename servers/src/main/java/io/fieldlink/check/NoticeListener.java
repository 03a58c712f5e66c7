package io.fieldlink.check;

import jakarta.ejb.ActivationConfigProperty;
import jakarta.ejb.MessageDriven;
import jakarta.inject.Inject;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;
import jakarta.jms.TextMessage;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Receives FieldLink's drop/restore notices through the server's own JMS provider. The one
 * annotation works unchanged on every server: {@code destinationLookup} is the standard activation
 * property, and the relative name resolves to {@code java:/jms/fieldlink/notices} on WildFly and to
 * the plain JNDI name on Open Liberty (whose {@code jmsActivationSpec} names the bean; see
 * docs/servers.md).
 */
@MessageDriven(activationConfig = {
    @ActivationConfigProperty(propertyName = "destinationType", propertyValue = "jakarta.jms.Topic"),
    @ActivationConfigProperty(propertyName = "destinationLookup", propertyValue = "jms/fieldlink/notices")
})
public class NoticeListener implements MessageListener {

    private static final Logger log = Logger.getLogger(NoticeListener.class.getName());

    @Inject
    ReceivedNotices received;

    @Override
    public void onMessage(Message message) {
        try {
            received.add(((TextMessage) message).getText());
        } catch (JMSException | ClassCastException e) {
            log.log(Level.WARNING, "unreadable FieldLink notice " + message, e);
        }
    }
}
