package io.fieldlink.sample;

import jakarta.ejb.ActivationConfigProperty;
import jakarta.ejb.EJB;
import jakarta.ejb.MessageDriven;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;
import jakarta.jms.TextMessage;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonReader;

import java.io.StringReader;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Subscribes to FieldLink's drop/restore notices (docs/notices.md) on the embedded ActiveMQ broker
 * and keeps them for the page and {@code GET /api/notices}.
 */
@MessageDriven(activationConfig = {
    @ActivationConfigProperty(propertyName = "destinationType", propertyValue = "jakarta.jms.Topic"),
    @ActivationConfigProperty(propertyName = "destination", propertyValue = "fieldlink.notices"),
    @ActivationConfigProperty(propertyName = "resourceAdapter", propertyValue = "activemq-rar-6.1.8")
})
public class NoticeListener implements MessageListener {

    private static final Logger log = Logger.getLogger(NoticeListener.class.getName());

    @EJB
    private RecentNotices recent;

    @Override
    public void onMessage(Message message) {
        try {
            String text = ((TextMessage) message).getText();
            try (JsonReader reader = Json.createReader(new StringReader(text))) {
                recent.add(reader.readObject());
            }
            log.info(() -> "FieldLink notice: " + text);
        } catch (JMSException | JsonException | ClassCastException e) {
            log.log(Level.WARNING, "Unreadable FieldLink notice " + message, e);
        }
    }
}
